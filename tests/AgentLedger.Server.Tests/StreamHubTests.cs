using AgentLedger.Sqlite;

namespace AgentLedger.Server.Tests;

/// <summary>The hub that feeds every stream from one follower, over a real SQLite file.</summary>
public sealed class StreamHubTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<ILedger> OpenAsync()
        => await AgentLedger.Ledger.Create().UseSqlite().OpenAsync(Path.Combine(Directory.CreateTempSubdirectory("agentledger-hub-").FullName, "hub.db"), cancellationToken: Ct);

    [Fact]
    public async Task A_subscriber_slower_than_its_buffer_catches_up_from_the_store_without_a_gap_or_a_repeat()
    {
        await using var ledger = await OpenAsync();
        var hub = new StreamHub(ledger, CancellationToken.None, buffer: 2);
        await using var events = hub.SubscribeAsync(EventQuery.All, Ct).GetAsyncEnumerator(Ct);
        var first = events.MoveNextAsync();
        await Task.Delay(200, Ct); // joined: the hub follows from here
        await ledger.AppendAsync(TestData.Spoke("r", 0, "fox", "m", 1, 1), Ct);
        Assert.True(await first);
        var seen = new List<long> { events.Current.Offset };

        // Fifty appends while the subscriber reads nothing: its buffer of 2 overflows.
        for (var i = 1; i <= 50; i++)
        {
            await ledger.AppendAsync(TestData.Spoke("r", i, "fox", "m", 1, 1), Ct);
        }

        await Task.Delay(300, Ct);
        while (seen.Count < 51)
        {
            Assert.True(await events.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct));
            seen.Add(events.Current.Offset);
        }

        Assert.Equal(Enumerable.Range(1, 51).Select(i => (long)i), seen);
    }

    [Fact]
    public async Task Subscribers_joining_at_different_offsets_each_get_their_own_tail_exactly_once()
    {
        await using var ledger = await OpenAsync();
        await ledger.AppendBatchAsync(TestData.Run("a"), Ct);
        var hub = new StreamHub(ledger, CancellationToken.None);
        var readers = new[] { 0L, 3, 6, 9 }.Select(after => Task.Run(async () =>
        {
            var got = new List<long>();
            await foreach (var e in hub.SubscribeAsync(new EventQuery { After = after }, Ct))
            {
                got.Add(e.Offset);
                if (e.Offset == 12)
                {
                    break;
                }
            }

            return (after, got);
        }, Ct)).ToList();
        await Task.Delay(200, Ct);
        foreach (var e in TestData.Run("b"))
        {
            await ledger.AppendAsync(e, Ct);
        }

        foreach (var (after, got) in await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(10), Ct))
        {
            Assert.Equal(Enumerable.Range((int)after + 1, 12 - (int)after).Select(i => (long)i), got);
        }
    }

}

/// <summary>Counts the ledger's follower wake-ups (the follow.lag measurement), alone: no other test may follow meanwhile.</summary>
[Collection(SerialCollection.Name)]
public sealed class StreamFanOutTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Many_streams_wake_one_follower_of_the_ledger_not_one_each()
    {
        await using var server = await LedgerServer.StartAsync();
        var streams = new List<SseClient>();
        for (var i = 0; i < 20; i++)
        {
            streams.Add(await SseClient.OpenAsync(server.Client, "api/stream"));
        }

        await Task.Delay(300, Ct);
        long wakeUps = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "AgentLedger" && instrument.Name == "agentledger.follow.lag")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, _, _) => Interlocked.Increment(ref wakeUps));
        listener.Start();

        await server.Ledger.AppendAsync(TestData.Spoke("r", 0, "fox", "m", 1, 1), Ct);
        foreach (var sse in streams)
        {
            Assert.Equal(1, (await sse.NextAsync())!.Offset);
            await sse.DisposeAsync();
        }

        Assert.InRange(Interlocked.Read(ref wakeUps), 1, 5);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "serial";
}
