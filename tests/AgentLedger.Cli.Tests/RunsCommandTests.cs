using System.Text.Json;
using System.Text.RegularExpressions;
using AgentLedger.Sqlite;
using Xunit;

namespace AgentLedger.Cli.Tests;

/// <summary><c>agentledger runs</c>, as a process, paging through the run index of a real SQLite file with its cursors.</summary>
public sealed partial class RunsCommandTests : IAsyncLifetime
{
    private const int Runs = 25;

    private readonly string _folder = Directory.CreateTempSubdirectory("agentledger-runs-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Db => Path.Combine(_folder, "ledger.db");

    private static string RunId(int i) => $"run-{i:00}";

    /// <summary>Run i is still running when i % 3 == 0; its second event comes after the next run's start.</summary>
    private static bool Running(int i) => i % 3 == 0;

    public async ValueTask InitializeAsync()
    {
        await using var ledger = await Ledger.Create().UseSqlite().OpenAsync(Db, cancellationToken: Ct);
        for (var i = 0; i <= Runs; i++)
        {
            var batch = new List<LedgerEvent>();
            if (i < Runs)
            {
                batch.Add(new LedgerEvent(RunId(i), 0, "run.started", "engine", """{"scenario":"paging"}""", id: $"{RunId(i)}-start"));
            }

            if (i > 0 && !Running(i - 1))
            {
                batch.Add(new LedgerEvent(RunId(i - 1), 1, "run.finished", "engine", """{"reason":"verdict"}""", id: $"{RunId(i - 1)}-end"));
            }

            if (batch.Count > 0)
            {
                await ledger.AppendBatchAsync(batch, Ct);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_folder, recursive: true);
        return ValueTask.CompletedTask;
    }

    private static List<string> Expected(Func<int, bool> keep, bool newestFirst)
    {
        var ids = Enumerable.Range(0, Runs).Where(keep).Select(RunId);
        return [.. newestFirst ? ids.Reverse() : ids];
    }

    private async Task<ToolResult> Tool(params string[] args)
    {
        var result = await ToolProcess.RunAsync(_folder, ["--db", Db, .. args], cancellationToken: Ct);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    /// <summary>Every page through --json, the first from <paramref name="start"/>, each next from the last run's first_offset of the one before, until an empty one.</summary>
    private async Task<List<List<string>>> JsonPagesAsync(string cursor, long? start, params string[] args)
    {
        var pages = new List<List<string>>();
        var next = start;
        for (var request = 0; request < 50; request++)
        {
            var page = JsonDocument.Parse((await Tool([.. args, "--json", .. next is null ? Array.Empty<string>() : [cursor, $"{next}"]])).Stdout)
                .RootElement.EnumerateArray().ToList();
            if (page.Count == 0)
            {
                return pages;
            }

            pages.Add([.. page.Select(r => r.GetProperty("run_id").GetString()!)]);
            next = page[^1].GetProperty("first_offset").GetInt64();
        }

        Assert.Fail("the pages never ended");
        return pages;
    }

    [Fact]
    public async Task The_footer_names_the_next_page_until_the_last_and_the_pages_join_up_newest_first()
    {
        var shown = new List<string>();
        var pages = 0;
        var args = new List<string> { "runs", "--limit", "4" };
        while (pages < 20)
        {
            var result = await Tool([.. args]);
            pages++;
            shown.AddRange(RunIdInRow().Matches(result.Stdout).Select(m => m.Value));
            var footer = Footer().Match(result.Stdout);
            Assert.True(footer.Success, result.Stdout);
            if (!footer.Groups["next"].Success)
            {
                break;
            }

            args = ["runs", "--limit", "4", "--before", footer.Groups["next"].Value];
        }

        Assert.Equal(Expected(_ => true, newestFirst: true), shown);
        Assert.Equal(7, pages); // six of four runs, then the last one alone, whose footer names no next page
    }

    [Fact]
    public async Task A_page_that_ends_exactly_on_the_oldest_run_prints_no_next_page()
    {
        var result = await Tool("runs", "--limit", $"{Runs}");

        Assert.Contains($"{Runs} run(s), newest first", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("next page", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("next page: --before ", (await Tool("runs", "--limit", $"{Runs - 1}")).Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(10)]
    public async Task Json_pages_from_before_join_up_newest_first_without_a_run_repeated_or_skipped(int limit)
    {
        var pages = await JsonPagesAsync("--before", null, "runs", "--limit", $"{limit}");

        Assert.Equal(Expected(_ => true, newestFirst: true), pages.SelectMany(p => p));
        Assert.All(pages.SkipLast(1), p => Assert.Equal(limit, p.Count));
    }

    [Theory]
    [InlineData("running", 2)]
    [InlineData("finished", 3)]
    public async Task A_status_filter_holds_across_index_pages(string status, int limit)
    {
        var pages = await JsonPagesAsync("--before", null, "runs", "--status", status, "--limit", $"{limit}");

        Assert.Equal(Expected(i => Running(i) == (status == "running"), newestFirst: true), pages.SelectMany(p => p));
        Assert.All(pages.SkipLast(1), p => Assert.Equal(limit, p.Count));
    }

    [Fact]
    public async Task After_pages_oldest_first_and_oldest_first_alone_starts_at_the_first_run()
    {
        var pages = await JsonPagesAsync("--after", null, "runs", "--oldest-first", "--limit", "6");
        Assert.Equal(Expected(_ => true, newestFirst: false), pages.SelectMany(p => p));

        var running = await JsonPagesAsync("--after", 0, "runs", "--status", "running", "--limit", "2");
        Assert.Equal(Expected(Running, newestFirst: false), running.SelectMany(p => p));

        var table = await Tool("runs", "--oldest-first", "--limit", "2");
        Assert.Matches(@"2 run\(s\), oldest first; next page: --after \d+", table.Stdout);
    }

    [Theory]
    [InlineData(new[] { "--before", "0" }, "--before must be 1 or more")]
    [InlineData(new[] { "--after", "-1" }, "--after must be 0 or more")]
    [InlineData(new[] { "--before", "9", "--after", "1" }, "--before lists newest first")]
    [InlineData(new[] { "--before", "9", "--oldest-first" }, "--before lists newest first")]
    public async Task A_bad_cursor_is_a_usage_error(string[] args, string expected)
    {
        var result = await ToolProcess.RunAsync(_folder, ["--db", Db, "runs", .. args], cancellationToken: Ct);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"(?<=^\s*)run-\d\d(?=\s)", RegexOptions.Multiline)]
    private static partial Regex RunIdInRow();

    [GeneratedRegex(@"^\d+ run\(s\), newest first(; next page: --before (?<next>\d+))?\s*$", RegexOptions.Multiline)]
    private static partial Regex Footer();
}
