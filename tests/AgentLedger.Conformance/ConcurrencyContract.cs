using System.Collections.Concurrent;
using Xunit;

namespace AgentLedger.Conformance;

/// <summary>Many appenders at once: each event stored exactly once, offsets unique and increasing, followers miss nothing.</summary>
public abstract class ConcurrencyContract<TBackend> : LedgerTestBase<TBackend>
    where TBackend : ILedgerBackend, new()
{
    protected virtual int Writers => 8;

    protected virtual int EventsPerWriter => 100;

    [Fact]
    public async Task Concurrent_appenders_each_get_their_events_stored_exactly_once()
    {
        var results = new ConcurrentBag<AppendResult>();
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < EventsPerWriter; i++)
            {
                var e = TestEvents.Make($"run-{w}", i, id: $"w{w}-{i}");
                results.Add(await Ledger.AppendAsync(e, Ct));

                // Every writer also retries some events: retries must be duplicates, never new rows.
                if (i % 10 == 0)
                {
                    Assert.Equal(AppendOutcome.Duplicate, (await Ledger.AppendAsync(e, Ct)).Outcome);
                }
            }
        }, Ct));
        await Task.WhenAll(writers);

        var total = Writers * EventsPerWriter;
        Assert.Equal(total, results.Count);
        Assert.All(results, r => Assert.Equal(AppendOutcome.Appended, r.Outcome));
        Assert.Equal(total, results.Select(r => r.Offset).Distinct().Count());
        var stored = await ReadAllAsync();
        Assert.Equal(total, stored.Count);
        Assert.Equal(total, stored.Select(s => s.Event.Id).Distinct().Count());
        Assert.True(stored.Zip(stored.Skip(1)).All(p => p.First.Offset < p.Second.Offset), "offsets must increase");
        foreach (var result in results)
        {
            Assert.Equal(result.Id, stored.Single(s => s.Offset == result.Offset).Event.Id);
        }

        // Each writer's own events keep the order it appended them in.
        foreach (var group in stored.GroupBy(s => s.Event.RunId))
        {
            Assert.Equal(Enumerable.Range(0, EventsPerWriter), group.Select(s => s.Event.Turn));
        }
    }

    [Fact]
    public async Task Follower_sees_every_event_exactly_once_while_writers_append_concurrently()
    {
        var total = Writers * EventsPerWriter;
        var follower = Followers.FollowUntilAsync(Ledger, "sentinel", Ct);

        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < EventsPerWriter; i += 5)
            {
                if (i % 2 == 0)
                {
                    await Ledger.AppendBatchAsync(Enumerable.Range(i, 5).Select(t => TestEvents.Make($"run-{w}", t, id: $"w{w}-{t}")), Ct);
                }
                else
                {
                    for (var t = i; t < i + 5; t++)
                    {
                        await Ledger.AppendAsync(TestEvents.Make($"run-{w}", t, id: $"w{w}-{t}"), Ct);
                    }
                }
            }
        }, Ct));
        await Task.WhenAll(writers);
        await Ledger.AppendAsync(TestEvents.Make("sentinel", id: "sentinel"), Ct);
        var seen = await follower;

        var stored = await ReadAllAsync();
        var missed = Followers.Missed(stored, seen, "sentinel");
        Assert.True(missed == 0, $"the follower missed {missed} of {total} events");
        Assert.Equal(total + 1, stored.Count);
        Assert.Equal(total, seen.Count);
        Assert.Equal(total, seen.Select(s => s.Event.Id).Distinct().Count());
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.First.Offset < p.Second.Offset), "the follower must see offsets in increasing order");
    }
}
