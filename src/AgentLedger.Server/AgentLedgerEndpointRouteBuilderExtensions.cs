using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace AgentLedger.Server;

/// <summary>Maps AgentLedger's HTTP API, streams and viewer into any ASP.NET Core app.</summary>
public static class AgentLedgerEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps, under <paramref name="prefix"/>: the JSON API at <c>api/</c> (runs, events, stats, append),
    /// Server-Sent Event streams at <c>api/stream</c> and <c>api/runs/{run}/stream</c>, health at
    /// <c>health/live</c> and <c>health/ready</c>, and the web viewer at the prefix itself. The ledger is the
    /// <see cref="ILedgerReader"/> / <see cref="ILedgerWriter"/> registered in the services
    /// (<c>services.AddAgentLedger(...)</c>), or the named one of <see cref="AgentLedgerServerOptions.LedgerName"/>.
    /// No CORS headers are added: configure the host's CORS middleware if another origin must call the API.
    /// </summary>
    /// <returns>The group of every endpoint, to add the host's own conventions (authorization, rate limits).</returns>
    public static RouteGroupBuilder MapAgentLedger(this IEndpointRouteBuilder endpoints, string prefix = "", Action<AgentLedgerServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        var options = new AgentLedgerServerOptions();
        configure?.Invoke(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBodyBytes, 1, nameof(options.MaxBodyBytes));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.HeartbeatInterval, TimeSpan.Zero, nameof(options.HeartbeatInterval));
        if (options.ApiKey is { Length: 0 })
        {
            throw new ArgumentException("an empty API key would let everyone in; leave ApiKey null for no key", nameof(configure));
        }

        var served = new ServedLedger(options);
        var root = endpoints.MapGroup(prefix.TrimEnd('/'));
        root.WithTags("AgentLedger");

        var api = root.MapGroup("/api");
        api.AddEndpointFilter(new LedgerErrorFilter());
        if (options.ApiKey is { } key)
        {
            api.AddEndpointFilter(new ApiKeyFilter(key));
        }

        RunEndpoints.Map(api, served);
        EventEndpoints.Map(api, served);
        AppendEndpoint.Map(api, served);
        StreamEndpoints.Map(api, served);
        HealthEndpoints.Map(root, served);
        if (options.EnableViewer)
        {
            ViewerEndpoints.Map(root);
        }

        return root;
    }
}
