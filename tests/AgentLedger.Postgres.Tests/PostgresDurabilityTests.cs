using System.Collections.Concurrent;
using System.Diagnostics;
using AgentLedger.Conformance;
using Npgsql;
using Xunit;

namespace AgentLedger.Postgres.Tests;

/// <summary>
/// Durability after acknowledgement, on a server that is durable (fsync and synchronous_commit on, which
/// scripts/test.sh starts besides the fast one) and is killed with <c>pg_ctl -m immediate</c> mid-write:
/// its WAL buffers and dirty pages are lost, so only what was flushed before each acknowledgement survives.
/// </summary>
public sealed class PostgresDurabilityTests
{
    private const string UrlVariable = "AGENTLEDGER_TEST_POSTGRES_DURABLE";
    private const string StateVariable = "AGENTLEDGER_TEST_POSTGRES_DURABLE_STATE";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_acknowledged_event_survives_an_immediate_server_kill_and_no_batch_is_partial()
    {
        var server = Environment.GetEnvironmentVariable(UrlVariable) is { Length: > 0 } u
            ? u
            : throw new InvalidOperationException($"{UrlVariable} is not set: run the tests through scripts/test.sh, which starts a durable throwaway server");
        Assert.Equal("on", await ShowAsync(server, "fsync"));
        Assert.Equal("on", await ShowAsync(server, "synchronous_commit"));

        var schema = PostgresServer.NewSchemaName();
        var url = PostgresServer.WithParameters(server, $"schema={schema}&retry_seconds=60");
        await using var ledger = await PostgresLedger.OpenAsync(url, cancellationToken: Ct);
        var acknowledged = new ConcurrentBag<AppendResult>();
        var batches = new ConcurrentBag<string[]>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                if (w % 2 == 0)
                {
                    var batch = Enumerable.Range(0, 10).Select(t => TestEvents.Make($"w{w}", t, id: $"w{w}-b{i}-{t}")).ToList();
                    batches.Add([.. batch.Select(e => e.Id)]);
                    foreach (var r in await ledger.AppendBatchAsync(batch, Ct))
                    {
                        acknowledged.Add(r);
                    }
                }
                else
                {
                    acknowledged.Add(await ledger.AppendAsync(TestEvents.Make($"w{w}", i, id: $"w{w}-{i}"), Ct));
                }
            }
        }, Ct)).ToList();

        // Kill the server while every writer is mid-stream, keep it down a moment, bring it back: writers retry meanwhile.
        await WaitUntilAsync(() => acknowledged.Count >= 500);
        var beforeCrash = acknowledged.Count;
        await ServerAsync("crash");
        await Task.Delay(500, Ct);
        await ServerAsync("restart");
        await WaitUntilAsync(() => acknowledged.Count >= beforeCrash + 200);
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        var stored = (await ledger.ReadAsync(EventQuery.All, Ct).ToListAsync(Ct)).ToDictionary(s => s.Event.Id);
        var lost = acknowledged.Where(r => !stored.TryGetValue(r.Id, out var s) || s.Offset != r.Offset).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} of {acknowledged.Count} acknowledged events are gone or moved after the crash, e.g. {lost.FirstOrDefault().Id}");
        Assert.Equal(acknowledged.Count, stored.Count);
        var partial = batches.Where(b => b.Count(stored.ContainsKey) is not (0 or 10)).ToList();
        Assert.True(partial.Count == 0, $"{partial.Count} batches are partly stored");

        await using var drop = NpgsqlDataSource.Create(PostgresUrl.Parse(server).ConnectionString);
        await using var command = drop.CreateCommand($"DROP SCHEMA {schema} CASCADE");
        await command.ExecuteNonQueryAsync(Ct);
    }

    private static async Task<string> ShowAsync(string server, string setting)
    {
        await using var dataSource = NpgsqlDataSource.Create(PostgresUrl.Parse(server).ConnectionString);
        await using var command = dataSource.CreateCommand($"SHOW {setting}");
        return (string)(await command.ExecuteScalarAsync(Ct))!;
    }

    /// <summary>scripts/pg-test-server.sh crash|restart on the durable server's state.</summary>
    private static async Task ServerAsync(string verb)
    {
        var state = Environment.GetEnvironmentVariable(StateVariable)
            ?? throw new InvalidOperationException($"{StateVariable} is not set: run the tests through scripts/test.sh");
        var script = Path.Combine(RepositoryRoot(), "scripts", "pg-test-server.sh");
        var start = new ProcessStartInfo("bash", [script, verb]) { RedirectStandardError = true };
        start.Environment["AGENTLEDGER_PG_STATE"] = state;
        using var process = Process.Start(start)!;
        var errors = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        Assert.True(process.ExitCode == 0, $"pg-test-server.sh {verb} failed: {errors}");
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AgentLedger.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("the repository root (AgentLedger.slnx) was not found above the test binaries");
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), "timed out waiting for the writers");
            await Task.Delay(10, Ct);
        }
    }
}
