using Xunit;

namespace AgentLedger.Conformance;

/// <summary>Follow: catch up, then see new events as they are appended, until cancelled.</summary>
public abstract class FollowContract<TBackend> : LedgerTestBase<TBackend>
    where TBackend : ILedgerBackend, new()
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Follow_yields_past_events_then_events_appended_after_it_started()
    {
        await AppendManyAsync(3);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        stop.CancelAfter(Patience);
        var seen = new List<long>();
        var follower = Task.Run(async () =>
        {
            await foreach (var e in Ledger.FollowAsync(new EventQuery { After = 1 }, stop.Token))
            {
                seen.Add(e.Offset);
                if (e.Offset == 6)
                {
                    return;
                }
            }
        }, Ct);

        await Task.Delay(100, Ct);
        await AppendManyAsync(3, prefix: "later");
        await follower;

        Assert.Equal([2L, 3, 4, 5, 6], seen);
    }

    [Fact]
    public async Task Follow_stops_when_cancelled()
    {
        await AppendManyAsync(2);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var seen = new List<long>();
        var follower = Task.Run(async () =>
        {
            await foreach (var e in Ledger.FollowAsync(EventQuery.All, stop.Token))
            {
                seen.Add(e.Offset);
            }
        }, Ct);

        await Task.Delay(200, Ct);
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => follower.WaitAsync(Patience, Ct));
        Assert.Equal([1L, 2], seen);
    }

    [Fact]
    public async Task Follow_with_a_filter_yields_only_matching_events_and_keeps_waiting()
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        stop.CancelAfter(Patience);
        var follower = Task.Run(async () =>
        {
            var ids = new List<string>();
            await foreach (var e in Ledger.FollowAsync(new EventQuery { Kind = "run.finished" }, stop.Token))
            {
                ids.Add(e.Event.Id);
                if (ids.Count == 2)
                {
                    return ids;
                }
            }

            return ids;
        }, Ct);

        await Ledger.AppendAsync(TestEvents.Make(id: "f1", kind: "run.finished"), Ct);
        await AppendManyAsync(20);
        await Task.Delay(100, Ct);
        await Ledger.AppendAsync(TestEvents.Make(id: "f2", kind: "run.finished"), Ct);

        Assert.Equal(["f1", "f2"], await follower);
    }

    [Fact]
    public async Task Follow_with_a_limit_ends_after_that_many_events()
    {
        await AppendManyAsync(5);
        var seen = new List<long>();

        await foreach (var e in Ledger.FollowAsync(new EventQuery { Limit = 3 }, Ct))
        {
            seen.Add(e.Offset);
        }

        Assert.Equal([1L, 2, 3], seen);
    }
}
