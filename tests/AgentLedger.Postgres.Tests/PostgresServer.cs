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

    /// <summary>Set to 1 only to prove the completeness tests catch a naive reader: appends then skip the ordering guard.</summary>
    public static bool Unguarded => Environment.GetEnvironmentVariable("AGENTLEDGER_PG_UNGUARDED") == "1";

    public static string WithParameters(string url, string parameters)
        => url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + parameters;

    /// <summary>A URL whose ledger lives in its own new schema.</summary>
    public static string UrlForSchema(string schema, string? extra = null)
        => WithParameters(Url, $"schema={schema}" + (Unguarded ? "&ordered_commits=false" : string.Empty) + (extra is null ? string.Empty : "&" + extra));

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
