namespace AgentLedger.Cli;

/// <summary>A writer that counts what each append did, so the demo can say what it recorded through the middleware.</summary>
internal sealed class TallyingWriter(ILedgerWriter inner) : ILedgerWriter
{
    private readonly Lock _gate = new();

    public AppendTally Tally { get; } = new();

    public LedgerDescription Description => inner.Description;

    public async ValueTask<AppendResult> AppendAsync(LedgerEvent ledgerEvent, CancellationToken cancellationToken = default)
    {
        var result = await inner.AppendAsync(ledgerEvent, cancellationToken);
        lock (_gate)
        {
            Tally.Add(result);
        }

        return result;
    }

    public async ValueTask<IReadOnlyList<AppendResult>> AppendBatchAsync(IEnumerable<LedgerEvent> events, CancellationToken cancellationToken = default)
    {
        var results = await inner.AppendBatchAsync(events, cancellationToken);
        lock (_gate)
        {
            Tally.Add(results);
        }

        return results;
    }
}
