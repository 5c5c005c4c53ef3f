using AgentLedger.Conformance;

namespace AgentLedger.Sqlite.Tests;

/// <summary>A fresh file in a fresh temporary folder per test; the folder is deleted afterwards.</summary>
public class SqliteBackend : ILedgerBackend
{
    /// <summary>What every ledger of this backend is opened with.</summary>
    protected virtual SqliteLedgerOptions Options => new();

    public string Folder { get; } = Directory.CreateTempSubdirectory("agentledger-test-").FullName;

    public string PathOf(string name = "ledger.db") => Path.Combine(Folder, name);

    public async Task<ILedger> CreateAsync(CancellationToken cancellationToken)
        => await SqliteLedger.OpenAsync(PathOf(), Options, cancellationToken);

    public async Task<ILedger?> ReopenAsync(CancellationToken cancellationToken)
        => await SqliteLedger.OpenAsync(PathOf(), Options, cancellationToken);

    public async Task<ILedger?> OpenReadOnlyAsync(CancellationToken cancellationToken)
        => await SqliteLedger.OpenAsync(PathOf(), Options with { ReadOnly = true }, cancellationToken);

    public ValueTask DisposeAsync()
    {
        Directory.Delete(Folder, recursive: true);
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// The same files with every per-row call through SQLitePCLRaw instead of the direct entry points
/// (<see cref="SqliteNative"/>): what runs when another SQLite provider is in use.
/// </summary>
public sealed class SqlitePclRawBackend : SqliteBackend
{
    protected override SqliteLedgerOptions Options => new() { DirectInterop = false };
}

public sealed class SqliteAppend : AppendContract<SqliteBackend>;

public sealed class SqliteRead : ReadContract<SqliteBackend>;

public sealed class SqliteFollow : FollowContract<SqliteBackend>;

public sealed class SqliteConcurrency : ConcurrencyContract<SqliteBackend>;

public sealed class SqliteResetAndCopy : ResetAndCopyContract<SqliteBackend>;

public sealed class SqliteRoles : RolesContract<SqliteBackend>;

public sealed class SqlitePclRawAppend : AppendContract<SqlitePclRawBackend>;

public sealed class SqlitePclRawRead : ReadContract<SqlitePclRawBackend>;
