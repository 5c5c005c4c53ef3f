namespace AgentLedger;

/// <summary>Convenience reads over any <see cref="ILedger"/>.</summary>
public static class LedgerExtensions
{
    /// <summary>One run's events, in offset order.</summary>
    public static IAsyncEnumerable<StoredEvent> ReadRunAsync(this ILedger ledger, string runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        return ledger.ReadAsync(new EventQuery { RunId = runId }, cancellationToken);
    }

    /// <summary>Every event after <paramref name="after"/>, in offset order.</summary>
    public static IAsyncEnumerable<StoredEvent> ReadAfterAsync(this ILedger ledger, long after, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        return ledger.ReadAsync(new EventQuery { After = after }, cancellationToken);
    }

    /// <summary>Appends a batch given as parameters.</summary>
    public static ValueTask<IReadOnlyList<AppendResult>> AppendBatchAsync(this ILedger ledger, params LedgerEvent[] events)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        return ledger.AppendBatchAsync(events, CancellationToken.None);
    }
}
