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

    // In this class, so that it never runs while the crash test has the primary down (a class's tests run one by one).
    [Fact]
    public async Task Following_a_hot_standby_is_refused_with_a_clear_error_while_reads_there_work()
    {
        var server = Environment.GetEnvironmentVariable(UrlVariable) is { Length: > 0 } u
            ? u
            : throw new InvalidOperationException($"{UrlVariable} is not set: run the tests through scripts/test.sh");
        var standby = Environment.GetEnvironmentVariable("AGENTLEDGER_TEST_POSTGRES_STANDBY") is { Length: > 0 } s
            ? s
            : throw new InvalidOperationException("AGENTLEDGER_TEST_POSTGRES_STANDBY is not set: run the tests through scripts/test.sh, which starts a hot standby");
        var schema = PostgresServer.NewSchemaName();
        await using var primary = await PostgresLedger.OpenAsync(PostgresServer.WithParameters(server, $"schema={schema}"), cancellationToken: Ct);
        await primary.AppendAsync(TestEvents.Make("r", 0, id: "first"), Ct);

        // The replica applies the primary's WAL a moment later: wait until the ledger and its event are there.
        var replicaUrl = PostgresServer.WithParameters(standby, $"schema={schema}");
        PostgresLedger? replica = null;
        for (var attempt = 0; replica is null; attempt++)
        {
            try
            {
                var opened = await PostgresLedger.OpenAsync(replicaUrl, new PostgresLedgerOptions { ReadOnly = true, RetryFor = TimeSpan.Zero }, Ct);
                if (await opened.CountAsync(Ct) == 1)
                {
                    replica = opened;
                }
                else
                {
                    await opened.DisposeAsync();
                }
            }
            catch (LedgerException) when (attempt < 300)
            {
            }

            if (replica is null)
            {
                await Task.Delay(100, Ct);
            }
        }

        // Opened for writing, a replica is refused at once, with the reason (and no password).
        var writable = await Assert.ThrowsAsync<LedgerConfigurationException>(async () => await PostgresLedger.OpenAsync(replicaUrl, cancellationToken: Ct));
        Assert.Contains("hot standby", writable.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("test-", writable.Message, StringComparison.Ordinal);

        await using (replica)
        {
            // Bounded: were it not refused, the follower would wait for events forever (and fail here as cancelled).
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            bounded.CancelAfter(TimeSpan.FromSeconds(10));
            var refused = await Assert.ThrowsAsync<LedgerConfigurationException>(async () =>
            {
                await foreach (var _ in replica.FollowAsync(new EventQuery { After = 1 }, bounded.Token))
                {
                }
            });
            Assert.Contains("hot standby", refused.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("test-", refused.Message, StringComparison.Ordinal); // no password in the message
            Assert.Equal("first", Assert.Single(await replica.ReadAsync(EventQuery.All, Ct).ToListAsync(Ct)).Event.Id);
        }

        // On the primary the same follower runs.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        await foreach (var e in primary.FollowAsync(EventQuery.All, stop.Token))
        {
            Assert.Equal("first", e.Event.Id);
            break;
        }
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
