namespace AgentLedger.Sqlite;

/// <summary>Serves <c>sqlite://</c> URLs and bare file paths.</summary>
public sealed class SqliteLedgerProvider(SqliteLedgerOptions? defaults = null) : ILedgerProvider
{
    private readonly SqliteLedgerOptions _defaults = defaults ?? new SqliteLedgerOptions();

    public string Name => "sqlite";

    public string AcceptedForms => SqliteUrl.AcceptedForms;

    public LedgerUrlMatch Match(string url) => url is null ? LedgerUrlMatch.No : SqliteUrl.Match(url);

    // A path holds no secret; a sqlite:// URL neither.
    public string Describe(string url) => url?.Trim() ?? string.Empty;

    public async ValueTask<ILedger> OpenAsync(string url, LedgerOpenOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(options);
        var parsed = SqliteUrl.Parse(url);
        var sqliteOptions = _defaults.With(parsed.Options, options);
        return parsed.IsTemporary
            ? await SqliteLedger.OpenTemporaryAsync(sqliteOptions, cancellationToken).ConfigureAwait(false)
            : await SqliteLedger.OpenAsync(parsed.Path!, sqliteOptions, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Adds the SQLite backend to a ledger builder or to <c>services.AddAgentLedger()</c>.</summary>
public static class SqliteLedgerBuilderExtensions
{
    /// <summary>Lets the builder open SQLite files (bare paths and <c>sqlite://</c> URLs), with these defaults.</summary>
    public static TBuilder UseSqlite<TBuilder>(this TBuilder builder, Action<SqliteLedgerOptions>? configure = null)
        where TBuilder : ILedgerProviderCollection
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new SqliteLedgerOptions();
        configure?.Invoke(options);
        builder.AddProvider(new SqliteLedgerProvider(options));
        return builder;
    }
}
