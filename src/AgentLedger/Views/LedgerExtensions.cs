using System.Runtime.CompilerServices;

namespace AgentLedger;

/// <summary>Convenience reads over any <see cref="ILedgerReader"/>.</summary>
public static class LedgerExtensions
{
    /// <summary>One run's events, oldest first.</summary>
    public static IAsyncEnumerable<StoredEvent> ReadRunAsync(this ILedgerReader ledger, string runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(runId);
        return ledger.ReadAsync(new EventQuery { RunId = runId }, cancellationToken);
    }

    /// <summary>One run's events, newest first (at most <paramref name="limit"/> of them).</summary>
    public static IAsyncEnumerable<StoredEvent> ReadRunBackwardAsync(this ILedgerReader ledger, string runId, int? limit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(runId);
        return ledger.ReadBackwardAsync(new EventQuery { RunId = runId, Limit = limit }, cancellationToken);
    }

    /// <summary>Every event after <paramref name="after"/>, oldest first.</summary>
    public static IAsyncEnumerable<StoredEvent> ReadAfterAsync(this ILedgerReader ledger, long after, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        return ledger.ReadAsync(new EventQuery { After = after }, cancellationToken);
    }

    /// <summary>The last <paramref name="count"/> events of the log, newest first.</summary>
    public static IAsyncEnumerable<StoredEvent> ReadLastAsync(this ILedgerReader ledger, int count, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        return ledger.ReadBackwardAsync(EventQuery.Last(count), cancellationToken);
    }

    /// <summary>
    /// Every run from <paramref name="first"/>'s cursor on, in its order, read a page at a time: the first page
    /// has <paramref name="first"/>'s limit, each next one twice as many up to <paramref name="maxPage"/> (a caller
    /// that filters may need many). Each page is read whole before its runs are handed out, so no read stays open
    /// while the caller works on them (folds a run, say).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxPage"/> is not between 1 and 10,000.</exception>
    public static IAsyncEnumerable<RunEntry> ListRunsFromAsync(this ILedgerReader ledger, RunListQuery first, int maxPage = 10_000, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(first);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPage, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxPage, 10_000);
        return RunPagesAsync(ledger, first, maxPage, cancellationToken);
    }

    private static async IAsyncEnumerable<RunEntry> RunPagesAsync(ILedgerReader ledger, RunListQuery query, int maxPage, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            var entries = await ledger.ListRunsAsync(query, cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
            foreach (var entry in entries)
            {
                yield return entry;
            }

            if (entries.Count < query.Limit)
            {
                yield break;
            }

            var limit = Math.Max(query.Limit, Math.Min(query.Limit * 2, maxPage));
            query = query.NewestFirst
                ? query with { Before = entries[^1].FirstOffset, Limit = limit }
                : query with { After = entries[^1].FirstOffset, Limit = limit };
        }
    }
}
