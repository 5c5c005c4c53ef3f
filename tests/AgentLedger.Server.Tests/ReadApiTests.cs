using System.Net;
using System.Text.Json;

namespace AgentLedger.Server.Tests;

public sealed class ReadApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> GetJsonAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        return JsonDocument.Parse(body).RootElement;
    }

    [Fact]
    public async Task Runs_are_listed_newest_first_with_summaries_and_paged()
    {
        await using var server = await LedgerServer.StartAsync();
        foreach (var run in new[] { "r1", "r2", "r3" })
        {
            await server.Ledger.AppendBatchAsync(TestData.Run(run), Ct);
        }

        await server.Ledger.AppendAsync(TestData.Started("r4", "fox"), Ct); // still running

        var first = await GetJsonAsync(server.Client, "api/runs?limit=2");
        var runs = first.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["r4", "r3"], runs.Select(r => r.GetProperty("run_id").GetString()));
        Assert.Equal("running", runs[0].GetProperty("status").GetString());
        var r3 = runs[1];
        Assert.Equal("finished", r3.GetProperty("status").GetString());
        Assert.Equal("test-scenario", r3.GetProperty("scenario").GetString());
        Assert.Equal(2, r3.GetProperty("turns").GetInt32());
        Assert.Equal(110, r3.GetProperty("tokens").GetInt64());
        Assert.Equal(6, r3.GetProperty("events").GetInt64());
        Assert.Equal(["fox", "owl"], r3.GetProperty("actors").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(["model/fox", "model/owl"], r3.GetProperty("models").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(13, r3.GetProperty("first_offset").GetInt64());

        var next = first.GetProperty("next_before").GetInt64();
        var second = await GetJsonAsync(server.Client, $"api/runs?limit=2&before={next}");
        Assert.Equal(["r2", "r1"], second.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("run_id").GetString()));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next_before").ValueKind);

        var running = await GetJsonAsync(server.Client, "api/runs?status=finished&q=R2");
        Assert.Equal(["r2"], running.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("run_id").GetString()));
    }

    [Fact]
    public async Task Run_summary_is_found_and_an_unknown_run_is_a_404_problem()
    {
        await using var server = await LedgerServer.StartAsync();
        await server.Ledger.AppendBatchAsync(TestData.Run("r1"), Ct);

        var summary = await GetJsonAsync(server.Client, "api/runs/r1");
        Assert.Equal("r1", summary.GetProperty("run_id").GetString());
        Assert.Equal("fox", summary.GetProperty("winner").GetString());

        using var missing = await server.Client.GetAsync("api/runs/nope", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_run_id_with_a_slash_and_a_percent_sign_is_found_when_escaped()
    {
        await using var server = await LedgerServer.StartAsync();
        await server.Ledger.AppendBatchAsync(TestData.Run("team/a%41 b"), Ct);
        await server.Ledger.AppendBatchAsync(TestData.Run("team"), Ct);
        var escaped = Uri.EscapeDataString("team/a%41 b");
        Assert.Equal("team/a%41 b", (await GetJsonAsync(server.Client, $"api/runs/{escaped}")).GetProperty("run_id").GetString());
        var events = await GetJsonAsync(server.Client, $"api/runs/{escaped}/events");
        Assert.Equal(6, events.GetProperty("events").GetArrayLength());
        Assert.All(events.GetProperty("events").EnumerateArray(), e => Assert.Equal("team/a%41 b", e.GetProperty("run_id").GetString()));
    }

    [Fact]
    public async Task Run_events_page_forwards_and_backwards_by_offset()
    {
        await using var server = await LedgerServer.StartAsync();
        await server.Ledger.AppendBatchAsync(TestData.Run("a"), Ct);
        await server.Ledger.AppendBatchAsync(TestData.Run("b"), Ct); // offsets 7..12

        var page1 = await GetJsonAsync(server.Client, "api/runs/b/events?limit=4");
        Assert.Equal([7L, 8, 9, 10], page1.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("offset").GetInt64()));
        var page2 = await GetJsonAsync(server.Client, $"api/runs/b/events?limit=4&after={page1.GetProperty("next").GetInt64()}");
        Assert.Equal([11L, 12], page2.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("offset").GetInt64()));
        Assert.Equal(JsonValueKind.Null, page2.GetProperty("next").ValueKind);

        var back = await GetJsonAsync(server.Client, "api/runs/b/events?before=12&limit=3");
        Assert.Equal([11L, 10, 9], back.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("offset").GetInt64()));
        Assert.Equal(9, back.GetProperty("next").GetInt64());
    }

    [Fact]
    public async Task An_event_is_written_exactly_as_the_jsonl_trace_writes_it()
    {
        await using var server = await LedgerServer.StartAsync();
        var payload = """{"text":"1e400 stays 1e400, é stays é","n":1.50,"usage":{"input_tokens":1,"output_tokens":2}}""";
        await server.Ledger.AppendAsync(new LedgerEvent("r", 0, "agent.spoke", "fox", payload, modelId: "m"), Ct);
        var stored = await server.Ledger.ReadAsync(EventQuery.All, Ct).FirstAsync(Ct);

        var body = await server.Client.GetStringAsync("api/events?after=0", Ct);
        Assert.Contains(JsonlTrace.Write(stored), body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_log_reads_after_an_offset_with_filters_and_the_last_n_in_log_order()
    {
        await using var server = await LedgerServer.StartAsync();
        await server.Ledger.AppendBatchAsync(TestData.Run("a"), Ct);
        await server.Ledger.AppendBatchAsync(TestData.Run("b"), Ct);

        var owl = await GetJsonAsync(server.Client, "api/events?after=3&actor=owl&kind=agent.spoke");
        Assert.Equal([5L, 9, 11], owl.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("offset").GetInt64()));
        var model = await GetJsonAsync(server.Client, "api/events?model=model/fox&run=b");
        Assert.Equal([8L, 10], model.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("offset").GetInt64()));

        var last = await GetJsonAsync(server.Client, "api/events/last?n=3");
        Assert.Equal([10L, 11, 12], last.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("offset").GetInt64()));
        Assert.Equal(12, last.GetProperty("latest_offset").GetInt64());
    }

    [Fact]
    public async Task Stats_group_tokens_by_actor_for_one_run_or_the_whole_log()
    {
        await using var server = await LedgerServer.StartAsync();
        await server.Ledger.AppendBatchAsync(TestData.Run("a"), Ct);
        await server.Ledger.AppendAsync(TestData.Spoke("b", 0, "fox", "model/fox", 1000, 0), Ct);

        var run = await GetJsonAsync(server.Client, "api/stats?by=actor&run=a");
        var rows = run.GetProperty("rows").EnumerateArray().ToDictionary(r => r.GetProperty("key").GetString()!, r => r.GetProperty("tokens").GetInt64());
        Assert.Equal(66, rows["owl"]);
        Assert.Equal(44, rows["fox"]);
        Assert.Equal(0, rows["engine"]);

        var all = await GetJsonAsync(server.Client, "api/stats?by=model");
        var models = all.GetProperty("rows").EnumerateArray().ToDictionary(r => r.GetProperty("key").GetString()!, r => r.GetProperty("tokens").GetInt64());
        Assert.Equal(1044, models["model/fox"]);
        Assert.Equal(LedgerStats.None, all.GetProperty("rows")[2].GetProperty("key").GetString());

        using var bad = await server.Client.GetAsync("api/stats?by=colour", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("\"parameter\":\"by\"", await bad.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("api/events?after=-1", "after")]
    [InlineData("api/events?limit=0", "limit")]
    [InlineData("api/runs?limit=100000", "limit")]
    [InlineData("api/runs?status=lost", "status")]
    [InlineData("api/runs?before=0", "before")]
    [InlineData("api/runs?after=-1", "after")]
    [InlineData("api/runs?before=9&after=1", "after")]
    [InlineData("api/runs/a/events?before=0", "before")]
    public async Task A_bad_parameter_is_a_400_problem_naming_it(string path, string parameter)
    {
        await using var server = await LedgerServer.StartAsync();
        using var response = await server.Client.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal(parameter, problem.GetProperty("parameter").GetString());
    }

    [Fact]
    public async Task Health_and_the_openapi_document_answer()
    {
        await using var server = await LedgerServer.StartAsync();
        Assert.Equal("healthy", await server.Client.GetStringAsync("health/live", Ct));
        Assert.Equal("healthy", await server.Client.GetStringAsync("health/ready", Ct));
        var openapi = JsonDocument.Parse(await server.Client.GetStringAsync("openapi/v1.json", Ct)).RootElement;
        var paths = openapi.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/api/runs", paths);
        Assert.Contains("/api/runs/{runId}/stream", paths);
        Assert.Contains("/api/events", paths);
    }
}
