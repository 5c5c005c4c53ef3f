using AgentLedger.Postgres;
using Npgsql;

namespace AgentLedger.Bench;

/// <summary>Where a backend's fresh stores come from.</summary>
internal abstract class BenchTarget : IAsyncDisposable
{
    public abstract string Backend { get; }

    /// <summary>Whether other processes can open the same store (P3, P8, P9).</summary>
    public virtual bool Shared => true;

    /// <summary>The URL of a new, empty store.</summary>
    public abstract string NewStore(string name);

    public ValueTask DisposeAsync() => CleanUpAsync();

    protected virtual ValueTask CleanUpAsync() => ValueTask.CompletedTask;
}

internal sealed class MemoryTarget : BenchTarget
{
    public override string Backend => "memory";

    public override bool Shared => false;

    public override string NewStore(string name) => ":memory:";
}

internal sealed class SqliteTarget : BenchTarget
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("agentledger-bench-").FullName;

    public override string Backend => "sqlite";

    public override string NewStore(string name) => Path.Combine(Folder, $"{name}.db");

    protected override ValueTask CleanUpAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Folder, recursive: true);
        return ValueTask.CompletedTask;
    }
}

/// <summary>Each store is a schema of its own on the benchmark server, dropped at the end.</summary>
internal sealed class PostgresTarget(string url) : BenchTarget
{
    private readonly List<string> _schemas = [];
    private readonly string _prefix = $"bench_{Environment.ProcessId}_";

    public string Url { get; } = url;

    public override string Backend => "postgres";

    public override string NewStore(string name)
    {
        var schema = _prefix + name;
        _schemas.Add(schema);
        return PostgresUrlWith(Url, $"schema={schema}");
    }

    public NpgsqlDataSource AdminDataSource() => NpgsqlDataSource.Create(PostgresLedger.ToConnectionString(Url));

    public static string PostgresUrlWith(string url, string parameter) => url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + parameter;

    protected override async ValueTask CleanUpAsync()
    {
        await using var admin = AdminDataSource();
        foreach (var schema in _schemas.Distinct())
        {
            await using var drop = admin.CreateCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE");
            await drop.ExecuteNonQueryAsync();
        }
    }
}
