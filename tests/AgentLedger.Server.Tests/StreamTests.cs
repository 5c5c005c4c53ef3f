using System.Diagnostics;

namespace AgentLedger.Server.Tests;

public sealed class StreamTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_stream_sends_events_after_the_offset_then_new_ones_with_the_offset_as_id()
    {
        await using var server = await LedgerServer.StartAsync();
        await server.Ledger.AppendBatchAsync(TestData.Run("a"), Ct);
        await using var sse = await SseClient.OpenAsync(server.Client, "api/stream?after=4");
        Assert.Equal("text/event-stream", sse.Response.Content.Headers.ContentType?.MediaType);
        Assert.True(sse.Response.Headers.CacheControl?.NoCache);
        Assert.Empty(sse.Response.Content.Headers.ContentEncoding);

        var backlog = await sse.TakeAsync(2);
        Assert.Equal([5L, 6], backlog.Select(m => m.Offset));
        Assert.Equal(5, backlog[0].Json.GetProperty("offset").GetInt64());

        var clock = Stopwatch.StartNew();
        await server.Ledger.AppendAsync(TestData.Spoke("b", 0, "fox", "m", 1, 1), Ct);
        var live = await sse.NextAsync();
        Assert.Equal(7, live!.Offset);
        Assert.Equal("b", live.Json.GetProperty("run_id").GetString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"a live event took {clock.Elapsed}");
    }

    [Fact]
    public async Task Last_event_id_resumes_exactly_after_the_last_event_received()
    {
        await using var server = await LedgerServer.StartAsync();
        var events = Enumerable.Range(0, 10).Select(i => TestData.Spoke("r", i, "fox", "m", 1, 1)).ToList();
        await server.Ledger.AppendBatchAsync(events.Take(5), Ct);

        var seen = new List<long>();
        await using (var first = await SseClient.OpenAsync(server.Client, "api/runs/r/stream?after=0"))
        {
            seen.AddRange((await first.TakeAsync(3)).Select(m => m.Offset));
        }

        // Events appended while disconnected; the reconnect repeats the original URL (after=0), as EventSource does.
        await server.Ledger.AppendBatchAsync(events.Skip(5), Ct);
        await using var second = await SseClient.OpenAsync(server.Client, "api/runs/r/stream?after=0", lastEventId: seen[^1].ToString(System.Globalization.CultureInfo.InvariantCulture));
        seen.AddRange((await second.TakeAsync(7)).Select(m => m.Offset));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), seen);
    }

    [Fact]
    public async Task A_run_stream_carries_only_that_run_and_filters_apply_to_the_log_stream()
    {
        await using var server = await LedgerServer.StartAsync();
        await server.Ledger.AppendBatchAsync(TestData.Run("a"), Ct);
        await server.Ledger.AppendBatchAsync(TestData.Run("b"), Ct);
        await using var run = await SseClient.OpenAsync(server.Client, "api/runs/b/stream");
        Assert.All(await run.TakeAsync(6), m => Assert.Equal("b", m.Json.GetProperty("run_id").GetString()));
        await using var owl = await SseClient.OpenAsync(server.Client, "api/stream?actor=owl");
        Assert.Equal([3L, 5, 9, 11], (await owl.TakeAsync(4)).Select(m => m.Offset));
    }

    [Fact]
    public async Task An_idle_stream_sends_heartbeat_comments()
    {
        await using var server = await LedgerServer.StartAsync(heartbeat: TimeSpan.FromMilliseconds(100));
        await using var sse = await SseClient.OpenAsync(server.Client, "api/stream");
        await Task.Delay(500, Ct);
        await server.Ledger.AppendAsync(TestData.Spoke("r", 0, "fox", "m", 1, 1), Ct);
        Assert.Equal(1, (await sse.NextAsync())!.Offset);
        Assert.InRange(sse.Comments, 2, 10);
    }

    [Fact]
    public async Task Stopping_the_server_ends_open_streams_promptly()
    {
        await using var server = await LedgerServer.StartAsync();
        await using var sse = await SseClient.OpenAsync(server.Client, "api/stream");
        var clock = Stopwatch.StartNew();
        var stop = server.StopAsync();
        Assert.Null(await sse.NextAsync(TimeSpan.FromSeconds(5)));
        await stop;
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"stopping took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_bad_last_event_id_is_a_400()
    {
        await using var server = await LedgerServer.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/stream");
        request.Headers.Add("Last-Event-ID", "abc");
        using var response = await server.Client.SendAsync(request, Ct);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
    }
}
