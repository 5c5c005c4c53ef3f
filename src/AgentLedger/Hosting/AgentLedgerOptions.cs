namespace AgentLedger;

/// <summary>
/// One configured ledger of a host (<c>services.AddAgentLedger(o =&gt; o.Url = "...")</c>, or bound from
/// configuration with <c>services.Configure&lt;AgentLedgerOptions&gt;(section)</c>).
/// </summary>
public sealed class AgentLedgerOptions
{
    /// <summary>The ledger's URL; when null, <c>DATABASE_URL</c>; when that is unset too, <c>agentledger.db</c>.</summary>
    public string? Url { get; set; }

    /// <summary>Open for reading only: no schema upgrade, every write fails.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>Create the store when it is missing (the default); when false a missing store is an error.</summary>
    public bool CreateIfMissing { get; set; } = true;

    internal string ResolveUrl()
        => !string.IsNullOrWhiteSpace(Url) ? Url
            : Environment.GetEnvironmentVariable(Ledger.DatabaseUrlVariable) is { Length: > 0 } env ? env
            : "agentledger.db";
}
