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
}
