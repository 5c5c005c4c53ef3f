namespace AgentLedger.Sqlite;

/// <summary>Serves <c>sqlite://</c> URLs and bare paths for <see cref="Ledger.OpenAsync(string?, CancellationToken)"/>.</summary>
public sealed class SqliteLedgerProvider : ILedgerProvider
{
    public bool CanOpen(LedgerStoreKind kind) => kind is LedgerStoreKind.SqliteFile or LedgerStoreKind.SqliteMemory;

    public async ValueTask<ILedger> OpenAsync(LedgerLocation location, LedgerOpenOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(location);
        var sqliteOptions = SqliteLedgerOptions.From(location, options);
        return location.Kind == LedgerStoreKind.SqliteMemory
            ? await SqliteLedger.OpenTemporaryAsync(sqliteOptions, cancellationToken).ConfigureAwait(false)
            : await SqliteLedger.OpenAsync(location.Target, sqliteOptions, cancellationToken).ConfigureAwait(false);
    }
}
