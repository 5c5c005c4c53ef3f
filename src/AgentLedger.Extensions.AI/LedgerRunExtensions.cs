namespace AgentLedger.Extensions.AI;

/// <summary>Opens an ambient run on any ledger writer.</summary>
public static class LedgerRunExtensions
{
    /// <summary>
    /// Appends <c>run.started</c> and makes the run ambient for this async flow: every
    /// <see cref="LedgerChatClient"/> call inside it records under <paramref name="runId"/>. Dispose it (or call
    /// <see cref="LedgerRun.FinishAsync"/>) to append <c>run.finished</c> with the token total. Beginning a run
    /// that is already recorded (a restarted process) appends nothing new: the ids are deterministic.
    /// </summary>
    /// <remarks>Not an <c>async</c> method on purpose: the ambient scope it sets must flow back to the caller.</remarks>
    public static ValueTask<LedgerRun> BeginRunAsync(this ILedgerWriter ledger, string runId, LedgerRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        var run = new LedgerRun(ledger, runId, options ?? new LedgerRunOptions());
        run.EnterRoot();
        return run.StartAsync(cancellationToken);
    }
}
