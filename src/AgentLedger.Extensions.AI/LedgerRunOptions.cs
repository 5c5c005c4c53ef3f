using System.Text.Json.Nodes;

namespace AgentLedger.Extensions.AI;

/// <summary>How <see cref="LedgerRunExtensions.BeginRunAsync"/> opens a run.</summary>
public sealed class LedgerRunOptions
{
    /// <summary>The actor of the bookends (<c>run.started</c>, <c>run.finished</c>) and of calls made outside any turn.</summary>
    public string Actor { get; set; } = "engine";

    /// <summary>The session every event of the run is tagged with (see <see cref="LedgerEvent.SessionIdPattern"/>).</summary>
    public string? SessionId { get; set; }

    /// <summary>Fields for the <c>run.started</c> payload, e.g. <c>goal</c>, <c>scenario</c>, <c>seed</c>, <c>cast</c>.</summary>
    public JsonObject? Details { get; set; }

    /// <summary>The clock of the bookends' <c>created_at</c>; a <see cref="SimulatedClock"/> makes a replay identical.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
