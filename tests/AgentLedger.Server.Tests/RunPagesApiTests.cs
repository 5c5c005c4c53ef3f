using System.Text.Json;

namespace AgentLedger.Server.Tests;

/// <summary>
/// GET /api/runs pages through the run index on a real SQLite ledger: newest first (or oldest first with
/// after=), contiguous, filters holding across index pages, the work of a request bounded, a null cursor at the end.
/// </summary>
public sealed class RunPagesApiTests
{
    private const int Runs = 30;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Run i: session s-even or s-odd, model/fox (even i) or model/owl (odd i), still running when i % 3 == 0.</summary>
    private static string RunId(int i) => $"run-{i:00}";

    private static string Session(int i) => i % 2 == 0 ? "s-even" : "s-odd";

    private static string Model(int i) => i % 2 == 0 ? "model/fox" : "model/owl";

    private static bool Running(int i) => i % 3 == 0;

    /// <summary>The runs' events interleaved (a run's later events come after the next run's start), so first offsets are not a run's only offsets.</summary>
    private static async Task RecordAsync(ILedger ledger)
    {
        for (var i = 0; i <= Runs; i++)
        {
            var batch = new List<LedgerEvent>();
            if (i < Runs)
            {
                batch.Add(new LedgerEvent(RunId(i), 0, "run.started", "engine", """{"scenario":"paging"}""", id: $"{RunId(i)}-start", sessionId: Session(i)));
            }

            if (i > 0)
            {
                var previous = i - 1;
                batch.Add(TestData.Spoke(RunId(previous), 0, "fox", Model(previous), 5, 5, id: $"{RunId(previous)}-spoke"));
                if (!Running(previous))
                {
                    batch.Add(TestData.Finished(RunId(previous), 1, 10));
                }
            }

            await ledger.AppendBatchAsync(batch, Ct);
        }
    }

    private static async Task<JsonElement> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    /// <summary>Every page from the first to the one whose cursor is null: the pages' run ids, and the cursors checked on the way.</summary>
    private static async Task<List<List<string>>> PagesAsync(HttpClient client, string query, string cursor = "before", long? start = null)
    {
        var pages = new List<List<string>>();
        var next = start;
        for (var request = 0; request < 1_000; request++)
        {
            var page = await GetAsync(client, next is null ? $"api/runs?{query}" : $"api/runs?{query}&{cursor}={next}");
            var runs = page.GetProperty("runs").EnumerateArray().ToList();
            pages.Add([.. runs.Select(r => r.GetProperty("run_id").GetString()!)]);
            var cursorValue = page.GetProperty($"next_{cursor}");
            if (cursorValue.ValueKind == JsonValueKind.Null)
            {
                return pages;
            }

            next = cursorValue.GetInt64();
            if (runs.Count > 0)
            {
                // The cursor is where this page stopped looking: at or past its last run, never before it.
                var lastFirst = runs[^1].GetProperty("first_offset").GetInt64();
                Assert.True(cursor == "before" ? next <= lastFirst : next >= lastFirst, $"{query}: cursor {next} falls inside the page ending at {lastFirst}");
            }
        }

        Assert.Fail($"{query}: the cursor never came back null");
        return pages;
    }

    private static List<string> Expected(Func<int, bool> keep, bool newestFirst = true)
    {
        var ids = Enumerable.Range(0, Runs).Where(keep).Select(RunId);
        return [.. newestFirst ? ids.Reverse() : ids];
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(30)]
    [InlineData(50)]
    public async Task Pages_are_contiguous_newest_first_and_the_cursor_is_null_after_the_last(int limit)
    {
        await using var server = await LedgerServer.StartAsync();
        await RecordAsync(server.Ledger);

        var pages = await PagesAsync(server.Client, $"limit={limit}");

        Assert.Equal(Expected(_ => true), pages.SelectMany(p => p));
        Assert.Equal((Runs + limit - 1) / limit, pages.Count); // a last page that is exactly full still ends with null, not an empty page after it
        Assert.All(pages.SkipLast(1), p => Assert.Equal(limit, p.Count));
    }

    [Fact]
    public async Task The_cursor_of_an_unfiltered_page_is_its_last_runs_first_offset()
    {
        await using var server = await LedgerServer.StartAsync();
        await RecordAsync(server.Ledger);

        var first = await GetAsync(server.Client, "api/runs?limit=3");
        var runs = first.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal([RunId(29), RunId(28), RunId(27)], runs.Select(r => r.GetProperty("run_id").GetString()));
        Assert.Equal(runs[^1].GetProperty("first_offset").GetInt64(), first.GetProperty("next_before").GetInt64());
    }

    [Theory]
    [InlineData("status=running", 1)]
    [InlineData("status=running", 2)]
    [InlineData("status=finished", 3)]
    [InlineData("session=s-odd", 2)]
    [InlineData("model=model/fox", 4)]
    [InlineData("q=RUN-1", 2)]
    [InlineData("status=running&session=s-even", 1)]
    [InlineData("session=nobody", 2)]
    public async Task Filters_hold_across_index_pages_and_pages_stay_contiguous(string filter, int limit)
    {
        await using var server = await LedgerServer.StartAsync();
        await RecordAsync(server.Ledger);
        Func<int, bool> keep = filter switch
        {
            "status=running" => Running,
            "status=finished" => i => !Running(i),
            "session=s-odd" => i => Session(i) == "s-odd",
            "model=model/fox" => i => Model(i) == "model/fox",
            "q=RUN-1" => i => RunId(i).Contains("run-1", StringComparison.Ordinal),
            "status=running&session=s-even" => i => Running(i) && Session(i) == "s-even",
            _ => _ => false,
        };

        var pages = await PagesAsync(server.Client, $"limit={limit}&{filter}");

        var expected = Expected(keep);
        Assert.Equal(expected, pages.SelectMany(p => p));
        Assert.All(pages.SkipLast(1), p => Assert.Equal(limit, p.Count)); // far below the bounds: every page but the last is full

        // A full page says "more" while any run is left to look at, matching or not: when the last match fills a
        // page and older runs remain, one empty page with a null cursor follows.
        var oldestMatchIsOldestRun = keep(0);
        var expectedPages = expected.Count == 0 ? 1
            : expected.Count % limit != 0 ? (expected.Count / limit) + 1
            : (expected.Count / limit) + (oldestMatchIsOldestRun ? 0 : 1);
        Assert.Equal(expectedPages, pages.Count);
    }

    [Theory]
    [InlineData("limit=7")]
    [InlineData("limit=2&status=running")]
    public async Task With_after_pages_run_oldest_first_and_end_with_a_null_next_after(string query)
    {
        await using var server = await LedgerServer.StartAsync();
        await RecordAsync(server.Ledger);

        var pages = await PagesAsync(server.Client, query, cursor: "after", start: 0);

        Assert.Equal(Expected(query.Contains("running", StringComparison.Ordinal) ? Running : _ => true, newestFirst: false), pages.SelectMany(p => p));
        var page = await GetAsync(server.Client, "api/runs?after=0&limit=1");
        Assert.False(page.TryGetProperty("next_before", out _));
    }

    [Fact]
    public async Task A_filter_that_rejects_many_runs_folds_a_bounded_number_and_hands_back_a_cursor_to_continue()
    {
        await using var server = await LedgerServer.StartAsync();
        await server.Ledger.AppendBatchAsync(TestData.Run("old-finished"), Ct);
        var started = Enumerable.Range(0, RunEndpoints.MaxFolded + 5).Select(i => TestData.Started($"busy-{i:0000}", "fox")).ToList();
        await server.Ledger.AppendBatchAsync(started, Ct);
        var latest = await server.Ledger.LatestOffsetAsync(Ct);

        var first = await GetAsync(server.Client, "api/runs?status=finished&limit=10");
        Assert.Empty(first.GetProperty("runs").EnumerateArray());
        Assert.Equal(latest - RunEndpoints.MaxFolded + 1, first.GetProperty("next_before").GetInt64()); // the last run it folded

        var second = await GetAsync(server.Client, $"api/runs?status=finished&limit=10&before={first.GetProperty("next_before").GetInt64()}");
        Assert.Equal(["old-finished"], second.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("run_id").GetString()));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next_before").ValueKind);
    }

    [Fact]
    public async Task A_run_id_search_looks_at_a_bounded_number_of_runs_and_hands_back_a_cursor_to_continue()
    {
        await using var server = await LedgerServer.StartAsync();
        await server.Ledger.AppendAsync(TestData.Started("needle", "fox"), Ct);
        await server.Ledger.AppendBatchAsync(Enumerable.Range(0, RunEndpoints.MaxExamined + 5).Select(i => TestData.Started($"hay-{i:00000}", "fox")), Ct);
        var latest = await server.Ledger.LatestOffsetAsync(Ct);

        var first = await GetAsync(server.Client, "api/runs?q=needle");
        Assert.Empty(first.GetProperty("runs").EnumerateArray());
        Assert.Equal(latest - RunEndpoints.MaxExamined + 1, first.GetProperty("next_before").GetInt64());

        var second = await GetAsync(server.Client, $"api/runs?q=needle&before={first.GetProperty("next_before").GetInt64()}");
        Assert.Equal(["needle"], second.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("run_id").GetString()));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next_before").ValueKind);
    }
}
