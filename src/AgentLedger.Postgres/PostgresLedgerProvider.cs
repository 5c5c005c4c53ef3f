namespace AgentLedger.Postgres;

/// <summary>Serves <c>postgresql://</c> URLs and Npgsql connection strings for <see cref="Ledger.OpenAsync(string?, CancellationToken)"/>.</summary>
public sealed class PostgresLedgerProvider : ILedgerProvider
{
    public bool CanOpen(LedgerStoreKind kind) => kind == LedgerStoreKind.Postgres;

    public async ValueTask<ILedger> OpenAsync(LedgerLocation location, LedgerOpenOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(options);
        var defaults = new PostgresLedgerOptions { CreateIfMissing = options.CreateIfMissing, ReadOnly = options.ReadOnly };
        return await PostgresLedger.OpenAsync(location.Original, defaults, cancellationToken).ConfigureAwait(false);
    }
}
