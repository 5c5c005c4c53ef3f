using System.Runtime.CompilerServices;

namespace AgentLedger.Storage;

/// <summary>The follow loop every backend can use: catch up, then wait on the ledger's one <see cref="ChangeNotifier"/>.</summary>
/// <remarks>
/// Each pass reads the latest offset first, then the matching events up to it, then moves past it
/// even when a filter matched none. That is exact only when offsets become visible in order (no later
/// commit can carry a lower offset), which the conformance suite checks for every backend.
/// </remarks>
public static class FollowLoop
{
    public static async IAsyncEnumerable<StoredEvent> RunAsync(
        ILedgerReader ledger,
        EventQuery query,
        ChangeNotifier notifier,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(notifier);
        using var watch = notifier.Watch();
        var after = query.After;
        long remaining = query.Limit ?? long.MaxValue;
        while (remaining > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ObjectDisposedException.ThrowIf(notifier.IsClosed, ledger);
            var wakeUp = notifier.Next;
            var latest = await ledger.LatestOffsetAsync(cancellationToken).ConfigureAwait(false);
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
