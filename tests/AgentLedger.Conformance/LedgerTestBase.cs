using Xunit;

namespace AgentLedger.Conformance;

/// <summary>Gives each test a fresh, empty ledger of backend <typeparamref name="TBackend"/>.</summary>
public abstract class LedgerTestBase<TBackend> : IAsyncLifetime
    where TBackend : ILedgerBackend, new()
{
    private ILedger? _ledger;

    protected TBackend Backend { get; } = new();

    protected ILedger Ledger => _ledger ?? throw new InvalidOperationException("the ledger is opened in InitializeAsync");

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _ledger = await Backend.CreateAsync(Ct);

    public async ValueTask DisposeAsync()
    {
        if (_ledger is not null)
        {
            await _ledger.DisposeAsync();
        }

        await Backend.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    protected async Task<List<StoredEvent>> ReadAllAsync(EventQuery? query = null, ILedger? ledger = null)
    {
        var events = new List<StoredEvent>();
        await foreach (var e in (ledger ?? Ledger).ReadAsync(query ?? EventQuery.All, Ct))
        {
            events.Add(e);
        }

        return events;
    }

    protected async Task<List<string>> ListRunsAsync(ILedger? ledger = null)
    {
        var runs = new List<string>();
        await foreach (var run in (ledger ?? Ledger).ListRunsAsync(Ct))
        {
            runs.Add(run);
        }

        return runs;
    }

    protected async Task<IReadOnlyList<AppendResult>> AppendManyAsync(int count, string run = "run-1", string prefix = "e")
    {
        var results = new List<AppendResult>();
        for (var i = 0; i < count; i++)
        {
            results.Add(await Ledger.AppendAsync(TestEvents.Make(run, i, id: $"{prefix}-{i}"), Ct));
        }

        return results;
    }
}
