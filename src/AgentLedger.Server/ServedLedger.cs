using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AgentLedger.Server;

/// <summary>Finds the served ledger's roles in the request's services: the default ledger or a named one.</summary>
internal sealed class ServedLedger(AgentLedgerServerOptions options)
{
    public AgentLedgerServerOptions Options { get; } = options;

    public ILedgerReader Reader(HttpContext http) => Options.LedgerName is { } name
        ? http.RequestServices.GetRequiredKeyedService<ILedgerReader>(name)
        : http.RequestServices.GetRequiredService<ILedgerReader>();

    public ILedgerWriter Writer(HttpContext http) => Options.LedgerName is { } name
        ? http.RequestServices.GetRequiredKeyedService<ILedgerWriter>(name)
        : http.RequestServices.GetRequiredService<ILedgerWriter>();
}
