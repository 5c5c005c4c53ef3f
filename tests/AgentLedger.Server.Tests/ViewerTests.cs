using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Playwright;

namespace AgentLedger.Server.Tests;

/// <summary>The viewer in a real headless Chromium over a real server and a ledger recorded by <c>agentledger demo</c>.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ViewerTests(BrowserFixture browser, DemoLedger demo) : IClassFixture<DemoLedger>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<List<string>> RunIdsAsync(ILedgerReader ledger)
    {
        var ids = new List<string>();
        await foreach (var id in ledger.ListRunsAsync(Ct))
        {
            ids.Add(id);
        }

        return ids;
    }

    private static async Task PostAsync(LedgerServer server, params LedgerEvent[] events)
    {
        var body = string.Join('\n', events.Select(TestData.Line));
        using var response = await server.Client.PostAsync("api/events", new StringContent(body, Encoding.UTF8, "application/x-ndjson"), Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    private static async Task<List<long>> OffsetsOnPageAsync(IPage page)
        => [.. (await page.EvalOnSelectorAllAsync<string[]>("#timeline [data-offset]", "els => els.map(e => e.dataset.offset)")).Select(s => long.Parse(s, CultureInfo.InvariantCulture))];

    [Fact]
    public async Task The_runs_page_lists_every_run_of_the_demo()
    {
        await using var server = await LedgerServer.StartAsync(file: demo.Copy());
        var expected = await RunIdsAsync(server.Ledger);
        await using var viewer = await ViewerPage.OpenAsync(browser, server.BaseAddress);
        await viewer.Page.Locator("#runs-table tbody tr[data-run]").Nth(expected.Count - 1).WaitForAsync();
        var shown = await viewer.Page.EvalOnSelectorAllAsync<string[]>("#runs-table tbody tr[data-run]", "rows => rows.map(r => r.dataset.run)");
        Assert.Equal(Enumerable.Reverse(expected), shown);
        Assert.Contains("lantern", await viewer.Page.Locator("#runs-table").InnerTextAsync(), StringComparison.Ordinal);
        await viewer.ScreenshotAsync("runs");
        Assert.Empty(viewer.Errors);
    }

    [Fact]
    public async Task The_runs_table_is_live_new_runs_appear_first_and_a_running_one_updates()
    {
        await using var server = await LedgerServer.StartAsync(file: demo.Copy());
        await using var viewer = await ViewerPage.OpenAsync(browser, server.BaseAddress);
        await viewer.Page.Locator("#runs-table tr[data-run]").Nth(2).WaitForAsync();
        await viewer.WaitForLiveAsync();

        await PostAsync(server, TestData.Started("fresh-run", "fox", "owl"));
        await viewer.Page.Locator("#runs-table tbody tr:first-child[data-run='fresh-run'] .badge.running").WaitForAsync(new() { Timeout = 3000 });
        await PostAsync(server, TestData.Spoke("fresh-run", 0, "fox", "model/fox", 10, 5), TestData.Finished("fresh-run", 1, 15));
        await viewer.Page.Locator("#runs-table tr[data-run='fresh-run'] .badge.finished").WaitForAsync(new() { Timeout = 3000 });
        var cells = await viewer.Page.Locator("#runs-table tr[data-run='fresh-run'] td.num").AllInnerTextsAsync();
        Assert.Equal(["1", "15", "3"], cells); // turns, tokens, events
        Assert.Equal(4, await viewer.Page.Locator("#runs-table tr[data-run]").CountAsync());
        Assert.Empty(viewer.Errors);
    }

    [Fact]
    public async Task Load_more_pages_back_through_the_runs_newest_first_until_none_is_left()
    {
        await using var server = await LedgerServer.StartAsync();
        await server.Ledger.AppendBatchAsync(Enumerable.Range(0, 105).Select(i => TestData.Started($"run-{i:000}", "fox")), Ct);
        await using var viewer = await ViewerPage.OpenAsync(browser, server.BaseAddress);
        var rows = viewer.Page.Locator("#runs-table tbody tr[data-run]");
        await rows.Nth(99).WaitForAsync();
        Assert.Equal(100, await rows.CountAsync()); // the viewer's page

        var more = viewer.Page.Locator("button.more");
        await more.ClickAsync();
        await rows.Nth(104).WaitForAsync();

        var shown = await viewer.Page.EvalOnSelectorAllAsync<string[]>("#runs-table tbody tr[data-run]", "rows => rows.map(r => r.dataset.run)");
        Assert.Equal(Enumerable.Range(0, 105).Reverse().Select(i => $"run-{i:000}"), shown);
        Assert.True(await more.IsHiddenAsync());
        Assert.Empty(viewer.Errors);
    }

    [Fact]
    public async Task A_filter_matching_only_an_old_run_looks_back_past_what_one_request_may_fold()
    {
        await using var server = await LedgerServer.StartAsync();
        await server.Ledger.AppendBatchAsync(TestData.Run("old-finished"), Ct);
        await server.Ledger.AppendBatchAsync(Enumerable.Range(0, RunEndpoints.MaxFolded + 5).Select(i => TestData.Started($"busy-{i:0000}", "fox")), Ct);

        await using var viewer = await ViewerPage.OpenAsync(browser, server.BaseAddress, "/runs?status=finished");

        await viewer.Page.Locator("#runs-table tbody tr[data-run='old-finished']").WaitForAsync();
        Assert.Equal(1, await viewer.Page.Locator("#runs-table tbody tr[data-run]").CountAsync());
        Assert.True(await viewer.Page.Locator("button.more").IsHiddenAsync());
        Assert.Empty(viewer.Errors);
    }

    [Fact]
    public async Task The_run_page_filters_by_actor_and_kind()
    {
        await using var server = await LedgerServer.StartAsync(file: demo.Copy());
        var runId = (await RunIdsAsync(server.Ledger))[0];
        var fox = 0;
        var foxSpoke = 0;
        await foreach (var e in server.Ledger.ReadRunAsync(runId, Ct))
        {
            fox += e.Event.Actor == "fox" ? 1 : 0;
            foxSpoke += e.Event.Actor == "fox" && e.Event.Kind == "agent.spoke" ? 1 : 0;
        }

        await using var viewer = await ViewerPage.OpenAsync(browser, server.BaseAddress, $"/run/{runId}");
        await viewer.Page.Locator("#timeline .event").First.WaitForAsync();
        await viewer.Page.SelectOptionAsync("select[name=actor]", "fox");
        await viewer.Page.WaitForFunctionAsync($"() => location.hash.includes('actor=fox') && document.querySelectorAll('#timeline .event').length === {fox}");
        Assert.Equal(fox, await viewer.Page.Locator("#timeline .event[data-actor='fox']").CountAsync());
        await viewer.Page.SelectOptionAsync("select[name=kind]", "agent.spoke");
        await viewer.Page.WaitForFunctionAsync($"() => document.querySelectorAll('#timeline .event').length === {foxSpoke}");
        Assert.Equal(foxSpoke, await viewer.Page.Locator("#timeline .event[data-kind='agent.spoke'][data-actor='fox']").CountAsync());
        Assert.Empty(viewer.Errors);
    }

    [Fact]
    public async Task A_run_page_shows_its_actors_models_and_token_totals()
    {
        await using var server = await LedgerServer.StartAsync(file: demo.Copy());
        var runId = (await RunIdsAsync(server.Ledger))[0];
        var summary = await RunSummary.SummarizeAsync(server.Ledger, runId, Ct);
        var byActor = await LedgerStats.ComputeAsync(server.Ledger, StatsGrouping.Actor, new EventQuery { RunId = runId }, Ct);
        var byModel = await LedgerStats.ComputeAsync(server.Ledger, StatsGrouping.Model, new EventQuery { RunId = runId }, Ct);

        await using var viewer = await ViewerPage.OpenAsync(browser, server.BaseAddress, $"/run/{runId}");
        await viewer.Page.Locator("#chart-model rect").First.WaitForAsync();
        Assert.Equal(summary.Tokens.ToString("N0", CultureInfo.InvariantCulture), await viewer.Page.Locator("#run-tokens dd").InnerTextAsync());
        Assert.Equal(summary.EventCount, (await OffsetsOnPageAsync(viewer.Page)).Count);

        var actorBars = await BarsAsync(viewer.Page, "#chart-actor");
        Assert.Equal(byActor.Where(r => r.Tokens > 0).ToDictionary(r => r.Key, r => r.Tokens), actorBars);
        var modelBars = await BarsAsync(viewer.Page, "#chart-model");
        Assert.Equal(byModel.Where(r => r.Tokens > 0).ToDictionary(r => r.Key, r => r.Tokens), modelBars);
        foreach (var model in summary.ModelsUsed)
        {
            Assert.True(await viewer.Page.Locator("#timeline .badge.model", new() { HasTextString = model }).CountAsync() > 0, model);
        }

        foreach (var actor in summary.Cast.Keys)
        {
            Assert.True(await viewer.Page.Locator($"#timeline .event[data-actor=\"{actor}\"]").CountAsync() > 0, actor);
        }

        await viewer.ScreenshotAsync("run");
        await viewer.Page.Keyboard.PressAsync("t");
        await viewer.Page.WaitForFunctionAsync("() => document.documentElement.dataset.theme === 'dark'");
        await viewer.ScreenshotAsync("run-dark");
        Assert.Empty(viewer.Errors);
    }

    private static async Task<Dictionary<string, long>> BarsAsync(IPage page, string chart)
    {
        var bars = await page.EvalOnSelectorAllAsync<string[][]>($"{chart} rect", "rs => rs.map(r => [r.dataset.key, r.dataset.value])");
        return bars.ToDictionary(b => b[0], b => long.Parse(b[1], CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task An_event_appended_through_the_api_appears_on_the_open_run_page_within_a_second()
    {
        await using var server = await LedgerServer.StartAsync();
        await PostAsync(server, TestData.Started("live", "fox", "owl"), TestData.Spoke("live", 0, "fox", "model/fox", 5, 5));
        await using var viewer = await ViewerPage.OpenAsync(browser, server.BaseAddress, "/run/live");
        await viewer.Page.Locator("[data-offset='2']").WaitForAsync();
        await viewer.WaitForLiveAsync();

        var clock = Stopwatch.StartNew();
        await PostAsync(server, TestData.Spoke("live", 1, "owl", "model/owl", 7, 3, text: "the owl arrives live"));
        await viewer.Page.Locator("[data-offset='3']", new() { HasTextString = "the owl arrives live" }).WaitForAsync(new() { Timeout = 1000 });
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
        await viewer.Page.WaitForFunctionAsync("() => document.querySelector('#run-events dd').textContent === '3'");
        Assert.Empty(viewer.Errors);
    }

    [Fact]
    public async Task After_the_stream_is_cut_and_reconnects_no_event_is_missing_or_repeated()
    {
        await using var server = await LedgerServer.StartAsync();
        await PostAsync(server, TestData.Started("cut", "fox"));
        await using var viewer = await ViewerPage.OpenAsync(browser, server.BaseAddress, "/run/cut");
        await viewer.Page.Locator("[data-offset='1']").WaitForAsync();
        await viewer.WaitForLiveAsync();
        for (var i = 0; i < 5; i++)
        {
            await PostAsync(server, TestData.Spoke("cut", i, "fox", "m", 1, 1));
        }

        await viewer.Page.Locator("[data-offset='6']").WaitForAsync();

        // Cut every stream, and append while the page is disconnected (it waits before reconnecting).
        await viewer.Page.EvaluateAsync("window.agentLedger.dropStreams()");
        await PostAsync(server, [.. Enumerable.Range(5, 5).Select(i => TestData.Spoke("cut", i, "fox", "m", 1, 1))]);
        await viewer.Page.WaitForFunctionAsync("() => window.agentLedger.reconnects() >= 1 && window.agentLedger.connected()");
        await PostAsync(server, TestData.Spoke("cut", 10, "fox", "m", 1, 1));
        await viewer.Page.Locator("[data-offset='12']").WaitForAsync();
        await Task.Delay(300, Ct); // a repeated event would arrive right behind
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (long)i), await OffsetsOnPageAsync(viewer.Page));
        Assert.Empty(viewer.Errors);
    }

    [Fact]
    public async Task Script_payloads_are_shown_as_text_and_never_run()
    {
        await using var server = await LedgerServer.StartAsync();
        const string Img = "<img src=x onerror=\"window.__xss = 1\">";
        const string Script = "<script>window.__xss = 2</script>";
        await PostAsync(server,
            new LedgerEvent("xss<b>run</b>", 0, "agent.spoke", "<svg onload=\"window.__xss=3\">", System.Text.Json.JsonSerializer.Serialize(new { text = $"{Img} {Script}", usage = new { input_tokens = 1 } }),
                modelId: "<img src=y onerror=\"window.__xss=4\">", modelProfile: "<i>p</i>"),
            new LedgerEvent("xss<b>run</b>", 0, "tool.called", "fox", """{"args":"<iframe src=javascript:window.__xss=5>"}"""));
        await using var viewer = await ViewerPage.OpenAsync(browser, server.BaseAddress);
        await viewer.Page.Locator("#runs-table tr[data-run]").First.WaitForAsync();
        Assert.Contains("xss<b>run</b>", await viewer.Page.Locator("#runs-table").InnerTextAsync(), StringComparison.Ordinal);

        await viewer.GoAsync("/run/" + Uri.EscapeDataString("xss<b>run</b>"));
        await viewer.Page.Locator("#timeline [data-offset='2']").WaitForAsync();
        await viewer.Page.Locator("#timeline details").First.EvaluateAsync("d => d.open = true");
        var text = await viewer.Page.Locator("#timeline").InnerTextAsync();
        Assert.Contains(Img, text, StringComparison.Ordinal);
        Assert.Contains(Script, text, StringComparison.Ordinal);
        Assert.Contains("<svg onload=", text, StringComparison.Ordinal);
        Assert.Equal(0, await viewer.Page.Locator("main img, main script, main iframe, main b, main i, #timeline svg").CountAsync());
        Assert.Null(await viewer.Page.EvaluateAsync<int?>("() => window.__xss ?? null"));
        await viewer.ScreenshotAsync("xss-as-text");
        Assert.Empty(viewer.Errors);
    }

    [Fact]
    public async Task With_a_key_the_viewer_shows_nothing_until_the_right_key_is_given()
    {
        await using var server = await LedgerServer.StartAsync(apiKey: "browser-key", file: demo.Copy());
        await using var viewer = await ViewerPage.OpenAsync(browser, server.BaseAddress);
        var dialog = viewer.Page.Locator("#key-dialog");
        await dialog.WaitForAsync();
        Assert.Equal(0, await viewer.Page.Locator("#runs-table tr[data-run]").CountAsync());
        var status = await viewer.Page.EvaluateAsync<int>("async () => (await fetch('api/runs')).status");
        Assert.Equal(401, status);

        await viewer.Page.FillAsync("#key-input", "not-the-key");
        await viewer.Page.ClickAsync("#key-form button");
        await viewer.Page.Locator("#key-error", new() { HasTextString = "refused" }).WaitForAsync();
        Assert.Equal(0, await viewer.Page.Locator("#runs-table tr[data-run]").CountAsync());

        await viewer.Page.FillAsync("#key-input", "browser-key");
        await viewer.Page.ClickAsync("#key-form button");
        await viewer.Page.Locator("#runs-table tr[data-run]").Nth(2).WaitForAsync();
        await viewer.WaitForLiveAsync();
        Assert.Empty(viewer.Errors);
    }

    [Fact]
    public async Task Compare_aligns_two_runs_by_turn_and_actor_with_token_differences()
    {
        await using var server = await LedgerServer.StartAsync(file: demo.Copy());
        var ids = await RunIdsAsync(server.Ledger);
        var a = await RunSummary.SummarizeAsync(server.Ledger, ids[0], Ct);
        var b = await RunSummary.SummarizeAsync(server.Ledger, ids[1], Ct);
        await using var viewer = await ViewerPage.OpenAsync(browser, server.BaseAddress, $"/compare/{ids[0]}/{ids[1]}");
        await viewer.Page.Locator("#compare-table tbody tr").First.WaitForAsync();
        Assert.Equal(a.Tokens.ToString("N0", CultureInfo.InvariantCulture), await viewer.Page.Locator("#total-a").InnerTextAsync());
        Assert.Equal(b.Tokens.ToString("N0", CultureInfo.InvariantCulture), await viewer.Page.Locator("#total-b").InnerTextAsync());
        var fox = viewer.Page.Locator("#compare-table tbody tr[data-turn='1'][data-actor='fox']");
        Assert.Equal(1, await fox.CountAsync());
        await viewer.ScreenshotAsync("compare");
        Assert.Empty(viewer.Errors);
    }

    [Fact]
    public async Task The_live_tail_shows_new_events_of_the_whole_log()
    {
        await using var server = await LedgerServer.StartAsync(file: demo.Copy());
        var latest = await server.Ledger.LatestOffsetAsync(Ct);
        await using var viewer = await ViewerPage.OpenAsync(browser, server.BaseAddress, "/tail");
        await viewer.Page.Locator($"#tail [data-offset='{latest}']").WaitForAsync();
        await viewer.WaitForLiveAsync();
        await PostAsync(server, TestData.Spoke("another-run", 0, "heron", "model/heron", 1, 1, text: "tail me"));
        await viewer.Page.Locator($"#tail [data-offset='{latest + 1}']", new() { HasTextString = "tail me" }).WaitForAsync(new() { Timeout = 2000 });
        await viewer.ScreenshotAsync("tail");
        Assert.Empty(viewer.Errors);
    }

    [Fact]
    public async Task Keyboard_moves_through_runs_and_enter_opens_one_and_deep_links_land_on_an_offset()
    {
        await using var server = await LedgerServer.StartAsync(file: demo.Copy());
        var ids = await RunIdsAsync(server.Ledger);
        await using var viewer = await ViewerPage.OpenAsync(browser, server.BaseAddress);
        await viewer.Page.Locator("#runs-table tr[data-run]").Nth(2).WaitForAsync();
        await viewer.Page.Keyboard.PressAsync("j");
        await viewer.Page.Keyboard.PressAsync("j");
        await viewer.Page.Keyboard.PressAsync("Enter");
        await viewer.Page.WaitForFunctionAsync($"() => location.hash === '#/run/{ids[^2]}'");
        await viewer.Page.Locator("#run-id", new() { HasTextString = ids[^2] }).WaitForAsync();

        var summary = await RunSummary.SummarizeAsync(server.Ledger, ids[0], Ct);
        var target = summary.FirstOffset + 5;
        await viewer.GoAsync($"/run/{ids[0]}?offset={target}");
        await viewer.Page.Locator($"#timeline .event.focus[data-offset='{target}']").WaitForAsync();
        Assert.Equal(target.ToString(CultureInfo.InvariantCulture), await viewer.Page.EvaluateAsync<string>("() => document.activeElement.dataset.offset"));
        Assert.Empty(viewer.Errors);
    }
}
