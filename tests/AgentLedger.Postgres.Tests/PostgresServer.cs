using Npgsql;

namespace AgentLedger.Postgres.Tests;

/// <summary>The test server: AGENTLEDGER_TEST_POSTGRES, which scripts/test.sh sets to a throwaway cluster.</summary>
public static class PostgresServer
{
    public const string Variable = "AGENTLEDGER_TEST_POSTGRES";

    /// <summary>The server URL; a missing one fails the test loudly, never skips it.</summary>
    public static string Url => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } url
        ? url
        : throw new InvalidOperationException(
            $"{Variable} is not set: run the tests through scripts/test.sh (it starts a throwaway PostgreSQL), or set {Variable}=postgresql://user:password@host:port/database");

    /// <summary>
    /// Set AGENTLEDGER_PG_NAIVE_FOLLOW=1 only to prove the completeness tests catch a naive follower: the
    /// ledgers the tests open then follow up to the latest offset instead of their settled horizon.
    /// </summary>
    public static bool NaiveFollow => Environment.GetEnvironmentVariable("AGENTLEDGER_PG_NAIVE_FOLLOW") == "1";

    /// <summary>The options every test ledger opens with.</summary>
    public static PostgresLedgerOptions Options(bool readOnly = false) => new() { NaiveFollow = NaiveFollow, ReadOnly = readOnly };

    public static string WithParameters(string url, string parameters)
        => url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + parameters;

    /// <summary>A URL whose ledger lives in its own new schema.</summary>
    public static string UrlForSchema(string schema, string? extra = null)
        => WithParameters(Url, $"schema={schema}" + (extra is null ? string.Empty : "&" + extra));

    public static NpgsqlConnectionStringBuilder ConnectionString => PostgresUrl.Parse(Url).ConnectionString;

    public static async Task ExecuteAsync(string sql, CancellationToken cancellationToken = default)
    {
        await using var dataSource = NpgsqlDataSource.Create(ConnectionString);
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task<T> ScalarAsync<T>(string sql, CancellationToken cancellationToken = default)
    {
        await using var dataSource = NpgsqlDataSource.Create(ConnectionString);
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public static string NewSchemaName() => $"t_{Guid.NewGuid():N}";
}
