using AgentLedger.Conformance;

namespace AgentLedger.Postgres.Tests;

/// <summary>Each test gets a ledger in a schema of its own, dropped afterwards.</summary>
public sealed class PostgresBackend : ILedgerBackend
{
    public string SchemaName { get; } = PostgresServer.NewSchemaName();

    public string Url => PostgresServer.UrlForSchema(SchemaName);

    public async Task<ILedger> CreateAsync(CancellationToken cancellationToken) => await PostgresLedger.OpenAsync(Url, PostgresServer.Options(), cancellationToken);

    public async Task<ILedger?> ReopenAsync(CancellationToken cancellationToken) => await PostgresLedger.OpenAsync(Url, PostgresServer.Options(), cancellationToken);

    public async Task<ILedger?> OpenReadOnlyAsync(CancellationToken cancellationToken)
        => await PostgresLedger.OpenAsync(Url, PostgresServer.Options(readOnly: true), cancellationToken);

    public async ValueTask DisposeAsync() => await PostgresServer.ExecuteAsync($"DROP SCHEMA IF EXISTS {SchemaName} CASCADE");
}

public sealed class PostgresAppend : AppendContract<PostgresBackend>;

public sealed class PostgresRead : ReadContract<PostgresBackend>;

public sealed class PostgresFollow : FollowContract<PostgresBackend>;

public sealed class PostgresConcurrency : ConcurrencyContract<PostgresBackend>;

public sealed class PostgresResetAndCopy : ResetAndCopyContract<PostgresBackend>;

public sealed class PostgresRoles : RolesContract<PostgresBackend>;
