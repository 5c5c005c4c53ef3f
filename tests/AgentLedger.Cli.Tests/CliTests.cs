using System.Diagnostics;
using System.Text.Json;
using AgentLedger.Postgres;
using Npgsql;
using Xunit;

namespace AgentLedger.Cli.Tests;

/// <summary>The tool end to end, as a process, on a SQLite file and on PostgreSQL.</summary>
public sealed class CliTests : IAsyncDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("agentledger-cli-").FullName;
    private readonly List<string> _schemas = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        Directory.Delete(_folder, recursive: true);
        foreach (var schema in _schemas)
        {
            await using var dataSource = NpgsqlDataSource.Create(PostgresLedger.ToConnectionString(PostgresUrlFromEnvironment()));
            await using var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE");
            await drop.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    public static TheoryData<string> Backends => ["sqlite", "postgres"];

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Demo_runs_show_stats_export_import_and_verify_agree(string backend)
    {
        var source = Location(backend, "source");
        var copy = Location(backend, "copy");

        var demo = await Tool("--db", source, "demo", "--seed", "11", "--runs", "2");
        Assert.True(demo.ExitCode == 0, demo.ToString());
        Assert.Contains("recorded run demo-11-1", demo.Stdout, StringComparison.Ordinal);
        Assert.Contains("recorded run demo-11-2", demo.Stdout, StringComparison.Ordinal);
        Assert.Contains("winning model", demo.Stdout, StringComparison.Ordinal);

        var again = await Tool("--db", source, "demo", "--seed", "11");
        Assert.Contains("0 events appended (", again.Stdout, StringComparison.Ordinal);
        Assert.Contains(" 0 conflicts)", again.Stdout, StringComparison.Ordinal);

        var runs = await Tool("--db", source, "runs", "--json");
        var listed = JsonDocument.Parse(runs.Stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(["demo-11-2", "demo-11-1"], listed.Select(r => r.GetProperty("run_id").GetString()));
        Assert.All(listed, r => Assert.Equal("finished", r.GetProperty("status").GetString()));
        Assert.All(listed, r => Assert.True(r.GetProperty("tokens").GetInt64() > 0));

        var show = await Tool("--db", source, "show", "demo-11-1");
        Assert.Equal(0, show.ExitCode);
        Assert.Contains("run.finished", show.Stdout, StringComparison.Ordinal);
        Assert.Contains("judge.verdict", show.Stdout, StringComparison.Ordinal);

        var stats = await Tool("--db", source, "stats", "--by", "model", "--json");
        var models = JsonDocument.Parse(stats.Stdout).RootElement.EnumerateArray().Select(r => r.GetProperty("key").GetString()).ToList();
        Assert.Contains("openai/gpt-4o-mini", models);
        Assert.Contains("google/gemma-3-12b", models);

        var trace = Path.Combine(_folder, $"{backend}.jsonl");
        Assert.Equal(0, (await Tool("--db", source, "export", "--out", trace)).ExitCode);
        var import = await Tool("--db", copy, "import", trace, "--json");
        Assert.True(import.ExitCode == 0, import.ToString());
        var importCounts = JsonDocument.Parse(import.Stdout).RootElement;
        Assert.Equal(File.ReadLines(trace).Count(), importCounts.GetProperty("appended").GetInt64());

        var reimport = await Tool("--db", copy, "import", trace, "--json");
        Assert.Equal(0, JsonDocument.Parse(reimport.Stdout).RootElement.GetProperty("appended").GetInt64());

        var sourceDigest = JsonDocument.Parse((await Tool("--db", source, "verify", "--json")).Stdout).RootElement.GetProperty("digest");
        var copyVerify = await Tool("--db", copy, "verify", "--json");
        Assert.Equal(0, copyVerify.ExitCode);
        Assert.Equal(sourceDigest.GetRawText(), JsonDocument.Parse(copyVerify.Stdout).RootElement.GetProperty("digest").GetRawText());
    }

    [Fact]
    public async Task Demo_agents_record_through_the_middleware_and_stats_by_model_shows_each_agents_model_with_its_tokens()
    {
        var db = Path.Combine(_folder, "agents.db");
        Assert.Equal(0, (await Tool("--db", db, "demo", "--seed", "5")).ExitCode);

        var stats = await Tool("--db", db, "stats", "--by", "model", "--json");
        var rows = JsonDocument.Parse(stats.Stdout).RootElement.EnumerateArray().ToDictionary(r => r.GetProperty("key").GetString()!, r => r.GetProperty("tokens").GetInt64());
        string[] models = ["openai/gpt-4o-mini", "google/gemma-3-12b", "openbmb/MiniCPM4.1-8B", "mistralai/mistral-small-3.2", "anthropic/claude-haiku-4.5"];
        Assert.All(models, m => Assert.True(rows.GetValueOrDefault(m) > 0, $"{m}: {stats.Stdout}"));

        // The tokens are those the middleware recorded per model call, and they add up to the run's total.
        var trace = Path.Combine(_folder, "agents.jsonl");
        Assert.Equal(0, (await Tool("--db", db, "export", "--out", trace)).ExitCode);
        var events = File.ReadLines(trace).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var responded = events.Where(e => e.GetProperty("kind").GetString() == "model.responded").ToList();
        var turns = events.Count(e => e.GetProperty("kind").GetString() == "world.observed");
        Assert.Equal((4 * 2 * turns) + 1, responded.Count);
        Assert.All(responded, e => Assert.True(e.GetProperty("payload").GetProperty("usage").GetProperty("input_tokens").GetInt64() > 0));
        var finished = events.Single(e => e.GetProperty("kind").GetString() == "run.finished");
        Assert.Equal(rows.Values.Sum(), finished.GetProperty("payload").GetProperty("tokens").GetInt64());
    }

    [Fact]
    public async Task A_demo_killed_mid_run_and_run_again_records_exactly_what_an_uninterrupted_one_does()
    {
        var killed = Path.Combine(_folder, "killed.db");
        var clean = Path.Combine(_folder, "clean.db");
        using (var demo = Process.Start(ToolProcess.StartInfo(_folder, ["--db", killed, "demo", "--seed", "21", "--runs", "60"]))!)
        {
            // SIGKILL once two runs are recorded: the third is cut off part-way, its process-side state is gone.
            for (var seen = 0; seen < 2;)
            {
                var line = await demo.StandardOutput.ReadLineAsync(Ct);
                Assert.NotNull(line);
                seen += line.StartsWith("recorded run", StringComparison.Ordinal) ? 1 : 0;
            }

            demo.Kill(entireProcessTree: true);
            await demo.WaitForExitAsync(Ct);
        }

        var recordedBeforeTheKill = await CountAsync(killed);
        var again = await Tool("--db", killed, "demo", "--seed", "21", "--runs", "60");
        Assert.True(again.ExitCode == 0, again.ToString());
        var lines = again.Stdout.Split('\n').Where(l => l.StartsWith("recorded run", StringComparison.Ordinal)).ToList();
        Assert.Equal(60, lines.Count);
        Assert.Contains("already recorded, 0 conflicts)", lines[0], StringComparison.Ordinal);
        Assert.All(lines, l => Assert.DoesNotMatch(@"[1-9]\d* conflicts", l));
        Assert.Equal(0, (await Tool("--db", clean, "demo", "--seed", "21", "--runs", "60")).ExitCode);
        Assert.InRange(recordedBeforeTheKill, 1, await CountAsync(clean) - 1);

        Assert.Equal(await IdsAsync(clean), await IdsAsync(killed));
    }

    private async Task<List<string>> IdsAsync(string db)
    {
        var trace = Path.Combine(_folder, Path.GetFileNameWithoutExtension(db) + ".jsonl");
        Assert.Equal(0, (await Tool("--db", db, "export", "--out", trace)).ExitCode);
        return [.. File.ReadLines(trace).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()!).Order(StringComparer.Ordinal)];
    }

    [Fact]
    public async Task Copy_moves_a_postgres_ledger_into_a_sqlite_file_and_back_verified()
    {
        var pg = Location("postgres", "origin");
        var file = Path.Combine(_folder, "snapshot.db");
        var back = Location("postgres", "back");
        Assert.Equal(0, (await Tool("--db", pg, "demo", "--seed", "3", "--runs", "2")).ExitCode);

        var toFile = await Tool("--db", pg, "copy", "--to", file);
        var toPg = await Tool("--db", file, "copy", "--to", back);

        Assert.True(toFile.ExitCode == 0, toFile.ToString());
        Assert.Contains("verified: identical", toFile.Stdout, StringComparison.Ordinal);
        Assert.True(toPg.ExitCode == 0, toPg.ToString());
        Assert.Contains("verified: identical", toPg.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(PostgresPassword(), toFile.Stdout + toFile.Stderr + toPg.Stdout, StringComparison.Ordinal);
        var again = await Tool("--db", file, "copy", "--to", back);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already holds events", again.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tail_follow_sees_events_appended_by_another_process_and_ends_cleanly_when_stopped()
    {
        var db = Path.Combine(_folder, "live.db");
        Assert.Equal(0, (await Tool("--db", db, "append", "--run", "r", "--kind", "run.started", "--actor", "engine")).ExitCode);
        using var tail = Process.Start(ToolProcess.StartInfo(_folder, ["--db", db, "tail", "--follow", "--after", "0", "--json"]))!;
        var first = await tail.StandardOutput.ReadLineAsync(Ct);
        Assert.Contains("run.started", first, StringComparison.Ordinal);

        var append = await Tool("--db", db, "append", "--run", "r", "--turn", "1", "--kind", "agent.spoke", "--actor", "fox", "--payload", """{"text":"hello"}""");
        Assert.Equal(0, append.ExitCode);
        var second = await tail.StandardOutput.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct);

        Assert.Contains("\"text\":\"hello\"", second, StringComparison.Ordinal);
        Assert.Contains("\"offset\":2", second, StringComparison.Ordinal);
        // SIGTERM, not SIGINT: a test host started in the background inherits SIGINT as ignored, and .NET keeps it so.
        using (var interrupt = Process.Start("kill", ["-TERM", tail.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await interrupt.WaitForExitAsync(Ct);
        }

        await tail.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.Equal(0, tail.ExitCode);
    }

    [Theory]
    [InlineData("Bad.Kind", """{"a":1}""", "kind")]
    [InlineData("agent.spoke", "[1,2]", "payload")]
    [InlineData("agent.spoke", "{oops", "payload")]
    public async Task Append_with_bad_input_fails_clearly_and_writes_nothing(string kind, string payload, string field)
    {
        var db = await SeededLedgerAsync();

        var result = await Tool("--db", db, "append", "--run", "r", "--kind", kind, "--actor", "fox", "--payload", payload);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"error: invalid event: {field}", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, await CountAsync(db));
    }

    [Fact]
    public async Task Import_of_a_malformed_line_names_it_and_writes_nothing_from_the_file()
    {
        var db = await SeededLedgerAsync();
        var trace = Path.Combine(_folder, "bad.jsonl");
        await File.WriteAllLinesAsync(trace,
        [
            """{"id":"a","run_id":"r","turn":0,"kind":"agent.spoke","actor":"fox","payload":{"text":"fine"}}""",
            """{"id":"b","run_id":"r","turn":1,"kind":"agent.spoke","actor":"fox","payload":{"text":"fine too"}}""",
            """{"id":"c","run_id":"r","turn":2,"kind":"agent.spoke","actor":"fox","payload":"not an object"}""",
        ], Ct);

        var result = await Tool("--db", db, "import", trace);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("line 3", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("payload must be a JSON object", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, await CountAsync(db));
    }

    [Theory]
    [InlineData(new[] { "--db", "mysql://u:p@h/db", "runs" }, 2, "accepted forms")]
    [InlineData(new[] { "runs", "--status", "sleeping" }, 2, "sleeping")]
    [InlineData(new[] { "frobnicate" }, 2, "frobnicate")]
    [InlineData(new[] { "reset" }, 2, "--yes")]
    [InlineData(new[] { "--db", "missing.db", "runs" }, 1, "no ledger here yet")]
    [InlineData(new[] { "--db", "missing.db", "show", "nope" }, 1, "no ledger here yet")]
    [InlineData(new[] { "--db", "postgresql://u:s3cret@127.0.0.1:1/db?retry_seconds=1&connect_timeout=1", "info" }, 1, "cannot reach the server")]
    public async Task Bad_usage_and_bad_locations_give_one_clear_line_and_the_right_exit_code(string[] args, int exitCode, string expected)
    {
        var result = await Tool(args);

        Assert.True(result.ExitCode == exitCode, result.ToString());
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_folder, "missing.db")));
    }

    [Fact]
    public async Task A_file_that_is_not_a_ledger_is_reported_and_left_untouched()
    {
        var path = Path.Combine(_folder, "notes.db");
        await File.WriteAllTextAsync(path, "not a database at all, just notes", Ct);

        var result = await Tool("--db", path, "demo");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("not a SQLite database", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("not a database at all, just notes", await File.ReadAllTextAsync(path, Ct));
    }

    [Fact]
    public async Task Reset_with_yes_deletes_everything_and_verify_still_passes()
    {
        var db = await SeededLedgerAsync();

        var reset = await Tool("--db", db, "reset", "--yes");
        var verify = await Tool("--db", db, "verify");

        Assert.Equal(0, reset.ExitCode);
        Assert.Equal(0, await CountAsync(db));
        Assert.Equal(0, verify.ExitCode);
    }

    [Fact]
    public async Task Append_reads_json_lines_from_standard_input_and_reports_each_outcome()
    {
        var db = Path.Combine(_folder, "stdin.db");
        const string lines = """
            {"id":"x1","run_id":"r","turn":0,"kind":"agent.spoke","actor":"fox","payload":{"text":"one"}}
            {"id":"x2","run_id":"r","turn":1,"kind":"agent.spoke","actor":"owl","payload":{"text":"two"}}
            {"id":"x1","run_id":"r","turn":0,"kind":"agent.spoke","actor":"fox","payload":{"text":"changed"}}
            """;

        var result = await ToolProcess.RunAsync(_folder, ["--db", db, "append"], lines, Ct);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["appended x1 @1", "appended x2 @2", "conflict x1 @1"], result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Append_commits_piped_lines_as_they_arrive_while_standard_input_stays_open()
    {
        var db = Path.Combine(_folder, "pipe.db");
        using var append = Process.Start(ToolProcess.StartInfo(_folder, ["--db", db, "append", "--batch-size", "100", "--flush-ms", "100"], redirectInput: true))!;
        await append.StandardInput.WriteLineAsync("""{"id":"p1","run_id":"r","turn":0,"kind":"agent.spoke","actor":"fox","payload":{"text":"one"}}""");
        await append.StandardInput.FlushAsync(Ct);

        // The batch is far from full and the input stays open: the pause alone must commit it.
        var first = await append.StandardOutput.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal("appended p1 @1", first);
        var tail = await Tool("--db", db, "tail", "--json");
        Assert.Contains("\"id\":\"p1\"", tail.Stdout, StringComparison.Ordinal);

        await append.StandardInput.WriteLineAsync("""{"id":"p2","run_id":"r","turn":1,"kind":"agent.spoke","actor":"fox","payload":{"text":"two"}}""");
        await append.StandardInput.WriteLineAsync("""{"id":"p3","run_id":"r","turn":2,"kind":"Bad Kind","actor":"fox","payload":{}}""");
        append.StandardInput.Close();
        var rest = await append.StandardOutput.ReadToEndAsync(Ct);
        var error = await append.StandardError.ReadToEndAsync(Ct);
        await append.WaitForExitAsync(Ct);

        Assert.Equal(1, append.ExitCode);
        Assert.Equal("appended p2 @2", rest.Trim());
        Assert.Contains("line 3", error, StringComparison.Ordinal);
        Assert.Contains("2 appended", error, StringComparison.Ordinal);
        var info = JsonDocument.Parse((await Tool("--db", db, "info", "--json")).Stdout).RootElement;
        Assert.Equal(2, info.GetProperty("events").GetInt64());
    }

    [Fact]
    public async Task Tail_follow_waits_for_a_ledger_that_does_not_exist_yet()
    {
        var db = Path.Combine(_folder, "later.db");
        using var tail = Process.Start(ToolProcess.StartInfo(_folder, ["--db", db, "tail", "--follow", "--json"]))!;
        await Task.Delay(TimeSpan.FromSeconds(1), Ct);
        Assert.False(tail.HasExited, "tail --follow must wait for the ledger, not exit");

        Assert.Equal(0, (await Tool("--db", db, "append", "--run", "r", "--kind", "run.started", "--actor", "engine", "--id", "first")).ExitCode);
        var line = await tail.StandardOutput.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct);

        Assert.Contains("\"id\":\"first\"", line, StringComparison.Ordinal);
        tail.Kill();
    }

    [Fact]
    public async Task Tail_lines_shows_the_last_matching_events_oldest_first()
    {
        var db = Path.Combine(_folder, "last.db");
        for (var i = 0; i < 6; i++)
        {
            var actor = i % 2 == 0 ? "fox" : "owl";
            Assert.Equal(0, (await Tool("--db", db, "append", "--run", "r", "--turn", $"{i}", "--kind", "agent.spoke", "--actor", actor, "--id", $"t{i}")).ExitCode);
        }

        var last = await Tool("--db", db, "tail", "-n", "2", "--actor", "fox", "--json");

        var ids = last.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString());
        Assert.Equal(["t2", "t4"], ids);
    }

    [Fact]
    public async Task Terminal_escapes_in_model_output_are_shown_as_text_by_show_and_tail_but_kept_exact_in_json()
    {
        var db = Path.Combine(_folder, "escapes.db");
        const string payload = """{"text":"title\u001b]0;pwned\u0007 clear\u001b[2J rtl\u202eend"}""";
        var append = await Tool("--db", db, "append", "--run", "r\u001b[31m", "--kind", "agent.spoke", "--actor", "fox\u0007", "--payload", payload);
        Assert.True(append.ExitCode == 0, append.ToString());

        foreach (var output in new[] { (await Tool("--db", db, "show", "r\u001b[31m")).Stdout, (await Tool("--db", db, "tail")).Stdout, (await Tool("--db", db, "runs")).Stdout })
        {
            Assert.DoesNotContain('\u001b', output);
            Assert.DoesNotContain('\u0007', output);
            Assert.DoesNotContain('\u202e', output);
        }

        Assert.Contains("\\u001b]0;pwned\\u0007", (await Tool("--db", db, "tail")).Stdout, StringComparison.Ordinal);
        var json = (await Tool("--db", db, "tail", "--json")).Stdout;
        Assert.Equal("title\u001b]0;pwned\u0007 clear\u001b[2J rtl\u202eend", JsonDocument.Parse(json).RootElement.GetProperty("payload").GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("postgresql://u:s3cret@localhost:99999/db")]
    [InlineData("postgresql://u:s3cret@localhost:http/db")]
    public async Task A_malformed_location_is_a_usage_error_without_the_password(string url)
    {
        var result = await Tool("--db", url, "runs");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("port", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", result.Stderr + result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("unexpected", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postgresql://{user}:Zq7s3cret@{host}:{port}/{db}")]
    [InlineData("postgresql://{user}:Zq7s3c/r?t@{host}:{port}/{db}")]
    [InlineData("postgresql://{user}@{host}:{port}/{db}?password=Zq7s3cret")]
    [InlineData("Host={host};Port={port};Username={user};Password=Zq7s3cret;Database={db}")]
    [InlineData("Host={host};Port={port};Username={user};PSW=Zq7s3cret;Database={db}")]
    [InlineData("Host={host};Port={port};Username={user};Password='Zq7;s3cret';Database={db}")]
    public async Task No_form_of_password_is_printed_even_with_verbose(string form)
    {
        // The real server, a wrong password: the login is refused at once (no retries), and the error is printed.
        var server = new NpgsqlConnectionStringBuilder(PostgresLedger.ToConnectionString(PostgresUrlFromEnvironment()));
        var url = form.Replace("{user}", server.Username, StringComparison.Ordinal).Replace("{host}", server.Host, StringComparison.Ordinal)
            .Replace("{port}", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{db}", server.Database, StringComparison.Ordinal);
        foreach (var args in new[] { new[] { "--db", url, "info" }, ["--db", url, "--verbose", "runs"], ["--db", url, "--verbose", "--json", "tail"] })
        {
            var result = await Tool(args);

            Assert.NotEqual(0, result.ExitCode);
            Assert.DoesNotContain("Zq7", result.Stdout + result.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_wal_ledger_in_a_read_only_folder_can_be_read_by_an_unprivileged_user()
    {
        // Tests run as root, who may write anywhere: the reader here is 'nobody', as a real user would be.
        var folder = Path.Combine(_folder, "readonly");
        Directory.CreateDirectory(folder);
        var db = Path.Combine(folder, "ledger.db");
        Assert.Equal(0, (await Tool("--db", db, "demo", "--seed", "3")).ExitCode);
        File.SetUnixFileMode(_folder, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(folder, (UnixFileMode)0b101_101_101);
        File.SetUnixFileMode(db, (UnixFileMode)0b100_100_100);

        // The tool itself must be readable by nobody too, wherever the checkout is: run a copy from the open folder.
        var tool = Path.Combine(_folder, "tool");
        Directory.CreateDirectory(tool);
        foreach (var file in Directory.GetFiles(AppContext.BaseDirectory, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(tool, Path.GetRelativePath(AppContext.BaseDirectory, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        foreach (var command in new[] { "info", "runs", "tail" })
        {
            var info = ToolProcess.StartInfo(_folder, ["--db", db, command]);
            info.ArgumentList[0] = Path.Combine(tool, "AgentLedger.Cli.dll");
            info.ArgumentList.Insert(0, info.FileName);
            foreach (var arg in AsNobody.Reverse())
            {
                info.ArgumentList.Insert(0, arg);
            }

            info.FileName = "setpriv";
            info.Environment["HOME"] = Path.GetTempPath();
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync(Ct);
            var stderr = process.StandardError.ReadToEndAsync(Ct);
            await process.WaitForExitAsync(Ct);

            Assert.True(process.ExitCode == 0, $"{command} as nobody: exit {process.ExitCode}\n{await stderr}");
            if (command != "info")
            {
                Assert.Contains("demo-3-1", await stdout, StringComparison.Ordinal);
            }
        }

        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
    }

    [Fact]
    public async Task A_failed_export_leaves_no_partial_file_behind()
    {
        var db = await SeededLedgerAsync();
        // A row written by another tool, whose payload is not JSON.
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Pooling=False"))
        {
            connection.Open();
            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO events (id, run_id, turn, kind, actor, payload, created_at, schema_version) VALUES ('foreign', 'r', 0, 'agent.spoke', 'x', 'oops', '2026-06-07T10:11:12.000000+00:00', 1)";
            insert.ExecuteNonQuery();
        }

        var target = Path.Combine(_folder, "out.jsonl");

        var result = await Tool("--db", db, "export", "--out", target);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("not a JSON object", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(target));
        Assert.False(File.Exists(target + ".partial"));
    }

    [Fact]
    public async Task Version_and_help_with_examples_are_printed()
    {
        var version = await Tool("--version");
        var help = await Tool("runs", "--help");

        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", version.Stdout);
        Assert.Contains("Examples:", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("--limit", help.Stdout, StringComparison.Ordinal);
    }

    private static readonly string[] AsNobody = ["--reuid=65534", "--regid=65534", "--clear-groups", "--"];

    private Task<ToolResult> Tool(params string[] args) => ToolProcess.RunAsync(_folder, args, cancellationToken: Ct);

    private async Task<string> SeededLedgerAsync()
    {
        var db = Path.Combine(_folder, $"seeded-{Guid.NewGuid():N}.db");
        var seed = await Tool("--db", db, "append", "--run", "r", "--kind", "run.started", "--actor", "engine");
        Assert.Equal(0, seed.ExitCode);
        return db;
    }

    private async Task<long> CountAsync(string db)
    {
        var info = await Tool("--db", db, "info", "--json");
        Assert.True(info.ExitCode == 0, info.ToString());
        return JsonDocument.Parse(info.Stdout).RootElement.GetProperty("events").GetInt64();
    }

    private string Location(string backend, string name)
    {
        if (backend == "sqlite")
        {
            return Path.Combine(_folder, $"{name}.db");
        }

        var schema = $"cli_{Guid.NewGuid():N}";
        _schemas.Add(schema);
        var url = PostgresUrlFromEnvironment();
        return url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + $"schema={schema}";
    }

    private static string PostgresUrlFromEnvironment()
        => Environment.GetEnvironmentVariable("AGENTLEDGER_TEST_POSTGRES") is { Length: > 0 } url
            ? url
            : throw new InvalidOperationException("AGENTLEDGER_TEST_POSTGRES is not set: run the tests through scripts/test.sh, which starts a throwaway PostgreSQL");

    private static string PostgresPassword() => new NpgsqlConnectionStringBuilder(PostgresLedger.ToConnectionString(PostgresUrlFromEnvironment())).Password ?? "\u0000";
}
