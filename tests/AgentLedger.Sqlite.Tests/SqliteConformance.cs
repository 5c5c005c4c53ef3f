using AgentLedger.Conformance;

namespace AgentLedger.Sqlite.Tests;

/// <summary>A fresh file in a fresh temporary folder per test; the folder is deleted afterwards.</summary>
public sealed class SqliteBackend : ILedgerBackend
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("agentledger-test-").FullName;

    public string PathOf(string name = "ledger.db") => Path.Combine(Folder, name);

    public async Task<ILedger> CreateAsync(CancellationToken cancellationToken)
        => await SqliteLedger.OpenAsync(PathOf(), cancellationToken: cancellationToken);

    public async Task<ILedger?> ReopenAsync(CancellationToken cancellationToken)
        => await SqliteLedger.OpenAsync(PathOf(), cancellationToken: cancellationToken);

    public async Task<ILedger?> OpenReadOnlyAsync(CancellationToken cancellationToken)
        => await SqliteLedger.OpenAsync(PathOf(), new SqliteLedgerOptions { ReadOnly = true }, cancellationToken);

    public ValueTask DisposeAsync()
    {
        Directory.Delete(Folder, recursive: true);
        return ValueTask.CompletedTask;
    }
}

public sealed class SqliteAppend : AppendContract<SqliteBackend>;

public sealed class SqliteRead : ReadContract<SqliteBackend>;

public sealed class SqliteFollow : FollowContract<SqliteBackend>;

public sealed class SqliteConcurrency : ConcurrencyContract<SqliteBackend>;

public sealed class SqliteResetAndCopy : ResetAndCopyContract<SqliteBackend>;

public sealed class SqliteRoles : RolesContract<SqliteBackend>;
