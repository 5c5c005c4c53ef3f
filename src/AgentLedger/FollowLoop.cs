using System.Runtime.CompilerServices;

namespace AgentLedger;

/// <summary>The follow loop shared by every backend.</summary>
/// <remarks>
/// Each pass reads the latest offset first, then the matching events up to it, then moves past it
/// even when a filter matched none. That is exact only because every backend makes offsets visible
/// in order (no later commit can carry a lower offset), which the conformance suite checks.
/// </remarks>
internal static class FollowLoop
{
    public static async IAsyncEnumerable<StoredEvent> RunAsync(
        ILedger ledger,
        EventQuery query,
        Func<Task> nextSignal,
        TimeSpan pollInterval,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        var after = query.After;
        long remaining = query.Limit ?? long.MaxValue;
        while (remaining > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var wakeUp = nextSignal();
            var latest = await ledger.LatestOffsetAsync(cancellationToken).ConfigureAwait(false);
            if (latest > after)
            {
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

            await WaitAsync(wakeUp, pollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task WaitAsync(Task wakeUp, TimeSpan pollInterval, CancellationToken cancellationToken)
    {
        if (pollInterval == Timeout.InfiniteTimeSpan)
        {
            await wakeUp.WaitAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        using var delayCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(pollInterval, delayCancellation.Token);
        await Task.WhenAny(wakeUp, delay).ConfigureAwait(false);
        await delayCancellation.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }
}
