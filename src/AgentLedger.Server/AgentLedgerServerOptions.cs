namespace AgentLedger.Server;

/// <summary>How <see cref="AgentLedgerEndpointRouteBuilderExtensions.MapAgentLedger"/> serves a ledger.</summary>
public sealed class AgentLedgerServerOptions
{
    /// <summary>
    /// When set, every API and stream request must carry it (<c>X-Api-Key: KEY</c> or
    /// <c>Authorization: Bearer KEY</c>). The viewer's static files and the health endpoints stay open:
    /// they hold no ledger data.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>When true, appends are refused with 405: the server only reads.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>The largest append body accepted, in bytes; a larger one gets 413. Default 16 MiB.</summary>
    public long MaxBodyBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>How often an idle stream sends a comment line, so proxies and browsers keep it open.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Serve the web viewer at the prefix's root (default true).</summary>
    public bool EnableViewer { get; set; } = true;

    /// <summary>The named ledger to serve (<c>AddAgentLedger("audit", …)</c>); null: the default one.</summary>
    public string? LedgerName { get; set; }
}
