using AgentLedger.Storage;

namespace AgentLedger.Conformance;

/// <summary>What idle followers cost: how often the ledger's one change probe runs while they wait.</summary>
public static class IdleFollowers
{
    /// <summary>Starts <paramref name="followers"/> followers, lets them idle, returns the probes counted meanwhile; all must then see one append.</summary>
    public static async Task<long> ProbesWhileIdleAsync(ILedger ledger, ChangeNotifier changes, int followers, TimeSpan idle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(changes);
        await ledger.AppendAsync(TestEvents.Make(id: "idle-0"), cancellationToken);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(TimeSpan.FromSeconds(60));
        var tasks = Enumerable.Range(0, followers).Select(_ => Task.Run(async () =>
        {
            await foreach (var e in ledger.FollowAsync(new EventQuery { After = 1 }, stop.Token))
            {
                return e.Event.Id;
            }

            return null;
        }, cancellationToken)).ToArray();
        while (changes.Watchers < followers)
        {
            await Task.Delay(10, cancellationToken);
        }

        await Task.Delay(200, cancellationToken);
        var before = changes.Probes;
        await Task.Delay(idle, cancellationToken);
        var probes = changes.Probes - before;

        await ledger.AppendAsync(TestEvents.Make(id: "idle-1"), cancellationToken);
        var seen = await Task.WhenAll(tasks);
        Xunit.Assert.All(seen, id => Xunit.Assert.Equal("idle-1", id));
        return probes;
    }
}
