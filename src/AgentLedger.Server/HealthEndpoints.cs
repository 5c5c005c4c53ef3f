using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace AgentLedger.Server;

/// <summary>Liveness (the process answers) and readiness (the ledger answers); open without a key, they say only a word.</summary>
internal static class HealthEndpoints
{
    public static void Map(RouteGroupBuilder root, ServedLedger served)
    {
        root.MapGet("/health/live", () => TypedResults.Text("healthy"))
            .WithName("Live").WithSummary("200 while the process runs.");
        root.MapGet("/health/ready", async (HttpContext http, CancellationToken cancellationToken) =>
            {
                try
                {
                    await served.Reader(http).LatestOffsetAsync(cancellationToken);
                    return Results.Text("healthy");
                }
                catch (LedgerException)
                {
                    return Results.Text("unhealthy", statusCode: StatusCodes.Status503ServiceUnavailable);
                }
            })
            .WithName("Ready").WithSummary("200 when the ledger answers a read, else 503.");
    }
}
