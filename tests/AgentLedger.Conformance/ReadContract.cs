using Xunit;

namespace AgentLedger.Conformance;

/// <summary>Reads: offset order, tails, filters, limits, runs.</summary>
public abstract class ReadContract<TBackend> : LedgerTestBase<TBackend>
    where TBackend : ILedgerBackend, new()
{
    [Fact]
    public async Task Read_returns_events_in_offset_order_not_turn_or_time_order()
    {
        await Ledger.AppendAsync(TestEvents.Make(id: "late", turn: 9, createdAt: TestEvents.Time.AddDays(1)), Ct);
        await Ledger.AppendAsync(TestEvents.Make(id: "early", turn: 0, createdAt: TestEvents.Time.AddDays(-1)), Ct);

        var events = await ReadAllAsync();

        Assert.Equal(["late", "early"], events.Select(e => e.Event.Id));
        Assert.Equal([1L, 2], events.Select(e => e.Offset));
    }

    [Fact]
    public async Task Read_after_an_offset_returns_exactly_the_later_events()
    {
        await AppendManyAsync(10);

        var tail = await ReadAllAsync(new EventQuery { After = 6 });

        Assert.Equal([7L, 8, 9, 10], tail.Select(e => e.Offset));
        Assert.Empty(await ReadAllAsync(new EventQuery { After = 10 }));
    }

    [Fact]
    public async Task Read_honours_limit_and_upper_bound()
    {
        await AppendManyAsync(10);

        Assert.Equal([3L, 4, 5], (await ReadAllAsync(new EventQuery { After = 2, Limit = 3 })).Select(e => e.Offset));
        Assert.Equal([1L, 2, 3, 4], (await ReadAllAsync(new EventQuery { UpTo = 4 })).Select(e => e.Offset));
        Assert.Empty(await ReadAllAsync(new EventQuery { Limit = 0 }));
    }

    [Fact]
    public async Task Read_filters_by_every_field_and_combines_filters()
    {
        await Ledger.AppendBatchAsync(
        [
            TestEvents.Make("r1", 0, "agent.spoke", "alice", id: "1", session: "s-a", modelId: "m-1", modelProfile: "fast"),
            TestEvents.Make("r2", 0, "agent.thought", "bob", id: "2", session: "s-b", modelId: "m-2", modelProfile: "deep"),
            TestEvents.Make("r1", 1, "agent.thought", "alice", id: "3", session: "s-a", modelId: "m-2", modelProfile: "fast"),
            TestEvents.Make("r2", 1, "judge.verdict", "judge", id: "4", session: null, modelId: null, modelProfile: null),
        ], Ct);

        async Task<string[]> Ids(EventQuery q) => [.. (await ReadAllAsync(q)).Select(e => e.Event.Id)];

        Assert.Equal(["1", "3"], await Ids(new EventQuery { RunId = "r1" }));
        Assert.Equal(["2", "3"], await Ids(new EventQuery { Kind = "agent.thought" }));
        Assert.Equal(["4"], await Ids(new EventQuery { Actor = "judge" }));
        Assert.Equal(["2"], await Ids(new EventQuery { SessionId = "s-b" }));
        Assert.Equal(["2", "3"], await Ids(new EventQuery { ModelId = "m-2" }));
        Assert.Equal(["2"], await Ids(new EventQuery { ModelProfile = "deep" }));
        Assert.Equal(["3"], await Ids(new EventQuery { RunId = "r1", Kind = "agent.thought", ModelId = "m-2" }));
        Assert.Equal(["3"], await Ids(new EventQuery { RunId = "r1", After = 1 }));
        Assert.Empty(await Ids(new EventQuery { RunId = "nope" }));
    }

    [Fact]
    public async Task ReadRun_returns_one_runs_events_in_offset_order()
    {
        await Ledger.AppendAsync(TestEvents.Make("a", 2, id: "a2"), Ct);
        await Ledger.AppendAsync(TestEvents.Make("b", 0, id: "b0"), Ct);
        await Ledger.AppendAsync(TestEvents.Make("a", 1, id: "a1"), Ct);

        var run = new List<StoredEvent>();
        await foreach (var e in Ledger.ReadRunAsync("a", Ct))
        {
            run.Add(e);
        }

        Assert.Equal(["a2", "a1"], run.Select(e => e.Event.Id));
        Assert.Equal([1L, 3], run.Select(e => e.Offset));
    }

    [Fact]
    public async Task Runs_come_a_page_at_a_time_forwards_and_backwards_with_their_first_offsets()
    {
        // 23 runs whose events interleave, some appended singly and some in batches.
        for (var round = 0; round < 3; round++)
        {
            await Ledger.AppendBatchAsync(Enumerable.Range(0, 23).Where(r => r % 3 == round).Select(r => TestEvents.Make($"run-{r:D2}", 0, id: $"r{r}-0")), Ct);
        }

        for (var r = 0; r < 23; r++)
        {
            await Ledger.AppendAsync(TestEvents.Make($"run-{r:D2}", 1, id: $"r{r}-1"), Ct);
        }

        var all = await ListRunsAsync();
        var firsts = new Dictionary<string, long>();
        await foreach (var e in Ledger.ReadAsync(EventQuery.All, Ct))
        {
            firsts.TryAdd(e.Event.RunId, e.Offset);
        }

        var forward = new List<RunEntry>();
        for (var after = 0L; ;)
        {
            var page = await Ledger.ListRunsAsync(new RunListQuery { After = after, Limit = 10 }, Ct).ToListAsync(Ct);
            Assert.True(page.Count <= 10);
            forward.AddRange(page);
            if (page.Count < 10)
            {
                break;
            }

            after = page[^1].FirstOffset;
        }

        Assert.Equal(all, forward.Select(e => e.RunId));
        Assert.All(forward, e => Assert.Equal(firsts[e.RunId], e.FirstOffset));

        var backward = new List<RunEntry>();
        for (long? before = null; ;)
        {
            var page = await Ledger.ListRunsAsync(new RunListQuery { NewestFirst = true, Before = before, Limit = 7 }, Ct).ToListAsync(Ct);
            backward.AddRange(page);
            if (page.Count < 7)
            {
                break;
            }

            before = page[^1].FirstOffset;
        }

        Assert.Equal(Enumerable.Reverse(all), backward.Select(e => e.RunId));
        Assert.Empty(await Ledger.ListRunsAsync(new RunListQuery { After = forward[^1].FirstOffset }, Ct).ToListAsync(Ct));
        Assert.Empty(await Ledger.ListRunsAsync(new RunListQuery { After = long.MaxValue }, Ct).ToListAsync(Ct));
    }

    [Fact]
    public async Task ListRuns_orders_runs_by_their_first_event()
    {
        foreach (var (run, id) in new[] { ("zeta", "1"), ("alpha", "2"), ("zeta", "3"), ("mid", "4"), ("alpha", "5") })
        {
            await Ledger.AppendAsync(TestEvents.Make(run, id: id), Ct);
        }

        Assert.Equal(["zeta", "alpha", "mid"], await ListRunsAsync());
    }

    [Fact]
    public async Task Read_streams_a_large_log_in_order_without_gaps()
    {
        const int count = 5000;
        var batch = Enumerable.Range(0, count).Select(i => TestEvents.Make($"run-{i % 7}", i, id: $"big-{i}"));
        await Ledger.AppendBatchAsync(batch, Ct);

        long expected = 0;
        await foreach (var e in Ledger.ReadAsync(EventQuery.All, Ct))
        {
            Assert.Equal(++expected, e.Offset);
            Assert.Equal($"big-{expected - 1}", e.Event.Id);
        }

        Assert.Equal(count, expected);
    }
}
