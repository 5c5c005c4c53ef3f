namespace AgentLedger.Extensions.AI;

/// <summary>What <see cref="LedgerChatClient"/> records, and under which run when no <see cref="LedgerScope"/> is ambient.</summary>
public sealed class LedgerChatClientOptions
{
    /// <summary>
    /// Whether message text is stored: the request's messages, the answer's text, tool arguments and results.
    /// On by default because the ledger is the run's own source of truth (a run is replayed and resumed from
    /// it, and it lives in your database, not in a shared telemetry backend). Turn it off when prompts or
    /// answers may hold personal or secret data: then only counts, ids, names, usage and timings are stored.
    /// </summary>
    public bool CaptureContent { get; set; } = true;

    /// <summary>Whether tool invocations are recorded as <c>tool.called</c> / <c>tool.returned</c> events (on by default).</summary>
    public bool RecordToolCalls { get; set; } = true;

    /// <summary>The run of calls made outside any <see cref="LedgerRun"/> (null: the conversation id, else one id per client).</summary>
    public string? RunId { get; set; }

    /// <summary>The actor of calls made outside any turn scope.</summary>
    public string Actor { get; set; } = "agent";

    /// <summary>The turn of calls made outside any turn scope.</summary>
    public int Turn { get; set; }

    /// <summary>The <c>model_profile</c> of calls made outside any scope that names one.</summary>
    public string? ModelProfile { get; set; }

    /// <summary>The session of calls made outside any run.</summary>
    public string? SessionId { get; set; }

    /// <summary>
    /// Off by default: each call returns only once its event is committed, so an answer the caller has is
    /// never missing from the ledger. On: events are queued and appended in batches by a background task (a
    /// model call then waits for no commit: see bench/AgentLedger.Bench.AI/README.md); <see cref="LedgerChatClient.FlushAsync"/>
    /// and <see cref="LedgerRun.FinishAsync"/> wait for them, a failed background append is thrown by the next
    /// call, and a crash loses what was still queued. Events of concurrent calls may then be stored in a
    /// different order than the calls returned.
    /// </summary>
    public bool WriteBehind { get; set; }

    /// <summary>
    /// Off by default. On (and when the ledger writer can also read): a call whose event is already in the
    /// ledger (the same run, turn, actor and call number: a run replayed after a restart) gets the recorded
    /// answer back (text, tool calls, usage, model) without calling the model, so a resumed run neither pays
    /// twice nor diverges from what it recorded when the model is not deterministic. Needs
    /// <see cref="CaptureContent"/>. Placed inside <c>UseFunctionInvocation()</c>, replayed tool calls are
    /// invoked again (their events are duplicates); placed outside, the loop is skipped with the model.
    /// </summary>
    public bool ReplayRecorded { get; set; }

    /// <summary>The clock of latencies and <c>created_at</c>; a <see cref="SimulatedClock"/> makes a replay record identical events.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
