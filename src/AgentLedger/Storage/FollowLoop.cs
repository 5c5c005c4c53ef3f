using System.Runtime.CompilerServices;

namespace AgentLedger.Storage;

/// <summary>The follow loop every backend can use: catch up, then wait on the ledger's one <see cref="ChangeNotifier"/>.</summary>
/// <remarks>
/// Each pass reads the horizon first (by default the latest offset), then the matching events up to it,
/// then moves past it even when a filter matched none. With the latest offset that is exact only when
/// offsets become visible in order (no later commit can carry a lower offset); a backend whose writers
/// commit concurrently passes a horizon below which nothing can appear any more. The conformance suite
/// checks it for every backend.
/// </remarks>
public static class FollowLoop
{
    public static IAsyncEnumerable<StoredEvent> RunAsync(
        ILedgerReader ledger,
        EventQuery query,
        ChangeNotifier notifier,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        return RunAsync(ledger, query, notifier, ledger.LatestOffsetAsync, cancellationToken);
    }

    /// <param name="horizon">
    /// The highest offset such that every offset at or below it that will ever exist is visible now; called
    /// once a pass, after the wake-up task was taken.
    /// </param>
    public static async IAsyncEnumerable<StoredEvent> RunAsync(
        ILedgerReader ledger,
        EventQuery query,
        ChangeNotifier notifier,
        Func<CancellationToken, ValueTask<long>> horizon,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(notifier);
        ArgumentNullException.ThrowIfNull(horizon);
        using var watch = notifier.Watch();
        var after = query.After;
        long remaining = query.Limit ?? long.MaxValue;
        while (remaining > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ObjectDisposedException.ThrowIf(notifier.IsClosed, ledger);
            var wakeUp = notifier.Next;
            var latest = await horizon(cancellationToken).ConfigureAwait(false);
            if (latest > after)
            {
                LedgerTelemetry.RecordFollowLag(ledger, latest - after);
                var pass = query with { After = after, UpTo = latest, Limit = remaining > int.MaxValue ? null : (int)remaining };
                await foreach (var stored in ledger.ReadAsync(pass, cancellationToken).ConfigureAwait(false))
                {
                    yield return stored;
                    if (--remaining == 0)
                    {
                        yield break;
                    }
                }

                after = latest;
                continue;
            }

            await wakeUp.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
