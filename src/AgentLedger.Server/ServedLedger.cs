using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentLedger.Server;

/// <summary>Finds the served ledger's roles in the request's services: the default ledger or a named one.</summary>
internal sealed class ServedLedger(AgentLedgerServerOptions options)
{
    private StreamHub? _hub;

    public AgentLedgerServerOptions Options { get; } = options;

    public ILedgerReader Reader(HttpContext http) => Options.LedgerName is { } name
        ? http.RequestServices.GetRequiredKeyedService<ILedgerReader>(name)
        : http.RequestServices.GetRequiredService<ILedgerReader>();

    /// <summary>The one hub that feeds every stream of this mapping (the served reader is one long-lived object).</summary>
    public StreamHub Hub(HttpContext http)
    {
        if (Volatile.Read(ref _hub) is { } hub)
        {
            return hub;
        }

        var stopping = http.RequestServices.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;
        Interlocked.CompareExchange(ref _hub, new StreamHub(Reader(http), stopping), null);
        return _hub;
    }

    public ILedgerWriter Writer(HttpContext http) => Options.LedgerName is { } name
        ? http.RequestServices.GetRequiredKeyedService<ILedgerWriter>(name)
        : http.RequestServices.GetRequiredService<ILedgerWriter>();
}
