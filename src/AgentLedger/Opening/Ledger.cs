namespace AgentLedger;

/// <summary>
/// The entry points for scripts: <c>await Ledger.Create().UseSqlite().OpenAsync("agentledger.db")</c>,
/// or <c>Ledger.OpenAsync(url, b =&gt; b.UseSqlite().UsePostgres())</c>. Hosts use <c>services.AddAgentLedger()</c>.
/// </summary>
public static class Ledger
{
    /// <summary>The environment variable that names the store.</summary>
    public const string DatabaseUrlVariable = "DATABASE_URL";

    /// <summary>A builder that opens <c>:memory:</c>, and whatever backends are added to it.</summary>
    public static LedgerBuilder Create() => new();

    /// <summary>
    /// Opens the ledger at <paramref name="url"/> with the backends <paramref name="configure"/> adds
    /// (none: only <c>:memory:</c> opens).
    /// </summary>
    public static ValueTask<ILedger> OpenAsync(string? url, Action<LedgerBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        var builder = new LedgerBuilder();
        configure?.Invoke(builder);
        return builder.OpenAsync(url, cancellationToken: cancellationToken);
    }

    /// <summary>Opens the ledger at <paramref name="url"/> with <paramref name="options"/>.</summary>
    public static ValueTask<ILedger> OpenAsync(string? url, LedgerOpenOptions options, Action<LedgerBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        var builder = new LedgerBuilder();
        configure?.Invoke(builder);
        return builder.OpenAsync(url, options, cancellationToken);
    }
}
