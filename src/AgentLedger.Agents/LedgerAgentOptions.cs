namespace AgentLedger.Agents;

/// <summary>What <see cref="LedgerAgent"/> records, and where when no run is ambient.</summary>
public sealed class LedgerAgentOptions
{
    /// <summary>Whether the answer's text is stored (see <c>LedgerChatClientOptions.CaptureContent</c> for the reason it is on).</summary>
    public bool CaptureContent { get; set; } = true;

    /// <summary>The run of invocations made outside any <c>LedgerRun</c> (null: one id per agent wrapper).</summary>
    public string? RunId { get; set; }

    /// <summary>The turn of invocations made outside any run.</summary>
    public int Turn { get; set; }

    /// <summary>The clock of latencies and <c>created_at</c>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
