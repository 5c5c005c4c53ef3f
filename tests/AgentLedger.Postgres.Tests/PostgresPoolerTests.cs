using AgentLedger.Conformance;
using Npgsql;
using Xunit;

namespace AgentLedger.Postgres.Tests;

/// <summary>
/// Behind a real PgBouncer in transaction mode (scripts/test.sh starts it, two server connections for all
/// clients): every transaction may run on another server connection. Each test has a database of its own,
/// since a pooler does not pass a schema (search_path) on.
/// </summary>
public sealed class PostgresPoolerTests : IAsyncDisposable
{
    private const string Variable = "AGENTLEDGER_TEST_PGBOUNCER";
    private readonly string _database = PostgresServer.NewSchemaName();
    private bool _created;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Bouncer => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } url
        ? url
        : throw new InvalidOperationException($"{Variable} is not set: run the tests through scripts/test.sh, which starts PgBouncer in transaction mode");

    public async ValueTask DisposeAsync()
    {
        if (_created)
        {
            NpgsqlConnection.ClearAllPools();
            await PostgresServer.ExecuteAsync($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", CancellationToken.None);
        }
    }

    [Fact]
    public async Task Appends_reads_and_a_polling_follower_work_through_a_transaction_pooler()
    {
        await using var ledger = await PostgresLedger.OpenAsync(await UrlAsync("pooler=transaction&poll_ms=20"), cancellationToken: Ct);
        Assert.False(ledger.Description.Location.Contains("test-", StringComparison.Ordinal), "no password in the location");
        var follower = Followers.FollowUntilAsync(ledger, "sentinel", Ct);

        // Eight writers through two server connections: single appends, batches, and one streamed import.
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 40; i += 4)
            {
                if (w % 2 == 0)
                {
                    await ledger.AppendBatchAsync(Enumerable.Range(i, 4).Select(t => TestEvents.Make($"w{w}", t, id: $"w{w}-{t}")), Ct);
                }
                else
                {
                    for (var t = i; t < i + 4; t++)
                    {
                        Assert.True((await ledger.AppendAsync(TestEvents.Make($"w{w}", t, id: $"w{w}-{t}"), Ct)).IsAppended);
                    }
                }
            }
        }, Ct)).ToList();
        var imported = await ledger.ImportAsync(Enumerable.Range(0, 50).Select(t => TestEvents.Make("imp", t, id: $"imp-{t}")).ToAsyncEnumerable(), cancellationToken: Ct);
        await Task.WhenAll(writers);
        Assert.Equal(AppendOutcome.Duplicate, (await ledger.AppendAsync(TestEvents.Make("w1", 0, id: "w1-0"), Ct)).Outcome);
        await ledger.AppendAsync(TestEvents.Make("end", id: "sentinel"), Ct);

        Assert.Equal(50, imported.Appended);
        var stored = await ledger.ReadAsync(EventQuery.All, Ct).ToListAsync(Ct);
        Assert.Equal(8 * 40 + 50 + 1, stored.Count);
        Assert.Equal(stored.Count, await ledger.CountAsync(Ct));
        Assert.Equal(9 + 1, (await ledger.ListRunsAsync(Ct).ToListAsync(Ct)).Count);
        Assert.Equal("sentinel", Assert.Single(await ledger.ReadBackwardAsync(new EventQuery { Limit = 1 }, Ct).ToListAsync(Ct)).Event.Id);
        var seen = await follower;
        Assert.Equal(0, Followers.Missed(stored, seen, "sentinel"));
        Assert.Equal(stored.Count - 1, seen.Count);
    }

    [Fact]
    public async Task Without_the_pooler_setting_prepared_statements_break_which_is_what_the_setting_prevents()
    {
        // The control: the same load with auto-prepare on (the default for a direct connection) fails through the pooler.
        await using var ledger = await PostgresLedger.OpenAsync(await UrlAsync("notifications=off"), cancellationToken: Ct);
        var failures = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var t = 0; t < 40; t++)
            {
                try
                {
                    await ledger.AppendAsync(TestEvents.Make($"w{w}", t, id: $"w{w}-{t}"), Ct);
                }
                catch (Exception ex) when (ex is LedgerException or NpgsqlException)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }, Ct)));
        Assert.True(failures > 0, "auto-prepared statements were expected to break behind a transaction pooler");
    }

    [Fact]
    public async Task A_schema_asked_for_through_the_pooler_is_refused_clearly_instead_of_ignored()
    {
        var url = await UrlAsync("pooler=transaction&schema=team_a");
        var error = await Assert.ThrowsAsync<LedgerConfigurationException>(async () => await PostgresLedger.OpenAsync(url, cancellationToken: Ct));
        Assert.Contains("team_a", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("test-", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A new database (made directly on the server), reached through the pooler.</summary>
    private async Task<string> UrlAsync(string parameters)
    {
        await PostgresServer.ExecuteAsync($"CREATE DATABASE {_database}", Ct);
        _created = true;
        var bouncer = new Uri(Bouncer);
        var url = $"{bouncer.GetLeftPart(UriPartial.Authority)}/{_database}";
        return PostgresServer.WithParameters(url, parameters);
    }
}
