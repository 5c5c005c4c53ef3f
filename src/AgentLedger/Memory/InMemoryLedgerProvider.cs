namespace AgentLedger;

/// <summary>Serves <c>:memory:</c>: a new, empty <see cref="InMemoryLedger"/> each time.</summary>
public sealed class InMemoryLedgerProvider : ILedgerProvider
{
    public string Name => "memory";

    public string AcceptedForms => "':memory:' (in process memory)";

    public LedgerUrlMatch Match(string url) => url?.Trim() == ":memory:" ? LedgerUrlMatch.Yes : LedgerUrlMatch.No;

    public string Describe(string url) => ":memory:";

    public ValueTask<ILedger> OpenAsync(string url, LedgerOpenOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult<ILedger>(new InMemoryLedger());
    }
}
