using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentLedger;

/// <summary>The host's ledgers: one long-lived object per URL, whatever the names; disposed with the host.</summary>
internal sealed class LedgerPool(
    IEnumerable<ILedgerProvider> providers, IOptionsMonitor<AgentLedgerOptions> options, ILoggerFactory? loggerFactory = null) : IAsyncDisposable
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

        foreach (var ledger in ledgers)
        {
            await ledger.CloseAsync().ConfigureAwait(false);
        }
    }
}
