namespace AgentLedger.Postgres;

/// <summary>Serves <c>postgresql://</c> URLs and Npgsql connection strings.</summary>
public sealed class PostgresLedgerProvider(PostgresLedgerOptions? defaults = null) : ILedgerProvider
{
    private readonly PostgresLedgerOptions _defaults = defaults ?? new PostgresLedgerOptions();

    public string Name => "postgres";

    public string AcceptedForms => PostgresUrl.AcceptedForms;

    public LedgerUrlMatch Match(string url) => url is null ? LedgerUrlMatch.No : PostgresUrl.Match(url);

    public string Describe(string url) => PostgresUrl.Mask(url?.Trim() ?? string.Empty);

    public async ValueTask<ILedger> OpenAsync(string url, LedgerOpenOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(options);
        var defaults = _defaults with
        {
            CreateIfMissing = options.CreateIfMissing && _defaults.CreateIfMissing,
            ReadOnly = options.ReadOnly || _defaults.ReadOnly,
            LoggerFactory = options.LoggerFactory ?? _defaults.LoggerFactory,
        };
        return await PostgresLedger.OpenAsync(url, defaults, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Adds the PostgreSQL backend to a ledger builder or to <c>services.AddAgentLedger()</c>.</summary>
public static class PostgresLedgerBuilderExtensions
{
    /// <summary>Lets the builder open <c>postgresql://</c> URLs and connection strings, with these defaults.</summary>
    public static TBuilder UsePostgres<TBuilder>(this TBuilder builder, Action<PostgresLedgerOptions>? configure = null)
        where TBuilder : ILedgerProviderCollection
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new PostgresLedgerOptions();
        configure?.Invoke(options);
        builder.AddProvider(new PostgresLedgerProvider(options));
        return builder;
    }
}
