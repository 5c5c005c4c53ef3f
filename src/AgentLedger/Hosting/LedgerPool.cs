using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentLedger;

/// <summary>The host's ledgers: one long-lived object per URL, whatever the names; disposed with the host.</summary>
internal sealed class LedgerPool(
    IEnumerable<ILedgerProvider> providers, IOptionsMonitor<AgentLedgerOptions> options, ILoggerFactory? loggerFactory = null) : IAsyncDisposable, IDisposable
{
    private readonly List<ILedgerProvider> _providers = [.. providers];
    private readonly Dictionary<string, HostedLedger> _byUrl = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private bool _disposed;

    public ILedger Get(string name)
    {
        var configured = options.Get(name);
        var url = configured.ResolveUrl().Trim();
        var key = $"{url}\n{configured.ReadOnly}\n{configured.CreateIfMissing}";
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_byUrl.TryGetValue(key, out var ledger))
            {
                var provider = LedgerProviders.Select(_providers, url);
                var open = new LedgerOpenOptions { ReadOnly = configured.ReadOnly, CreateIfMissing = configured.CreateIfMissing, LoggerFactory = loggerFactory };
                _byUrl[key] = ledger = new HostedLedger(provider, url, open);
            }

            return ledger;
        }
    }

    public async ValueTask DisposeAsync()
    {
        HostedLedger[] ledgers;
        lock (_gate)
        {
            _disposed = true;
            ledgers = [.. _byUrl.Values];
            _byUrl.Clear();
        }

        // Close every ledger, even when one of them fails to close.
        List<Exception>? failures = null;
        foreach (var ledger in ledgers)
        {
            try
            {
                await ledger.CloseAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                (failures ??= []).Add(ex);
            }
        }

        if (failures is not null)
        {
            throw new AggregateException("some ledgers could not be closed", failures);
        }
    }

    // A container disposed synchronously still closes its ledgers (their stores release files and connections).
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
