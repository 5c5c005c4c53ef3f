using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AgentLedger.Server;

/// <summary>
/// A run id taken from the path exactly. Routing decodes every escape but <c>%2F</c>, so a run id holding a
/// slash (untrusted ids can hold anything) would arrive half-decoded; then the raw request target is decoded once.
/// </summary>
internal static class RunIdRoute
{
    public static string Decode(HttpContext http, string routeValue)
    {
        if (!routeValue.Contains('%', StringComparison.Ordinal) || http.Features.Get<IHttpRequestFeature>()?.RawTarget is not { } raw)
        {
            return routeValue;
        }

        var path = raw.Split('?', 2)[0];
        var start = path.LastIndexOf("/runs/", StringComparison.Ordinal);
        if (start < 0)
        {
            return routeValue;
        }

        var rest = path[(start + "/runs/".Length)..];
        var end = rest.IndexOf('/', StringComparison.Ordinal);
        return Uri.UnescapeDataString(end < 0 ? rest : rest[..end]);
    }
}
