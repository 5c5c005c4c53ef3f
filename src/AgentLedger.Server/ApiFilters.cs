using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace AgentLedger.Server;

/// <summary>The API key check: every API and stream request, compared in constant time.</summary>
internal sealed class ApiKeyFilter(string key) : IEndpointFilter
{
    private readonly byte[] _key = Encoding.UTF8.GetBytes(key);

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        var given = request.Headers["X-Api-Key"].ToString();
        if (given.Length == 0 && request.Headers.Authorization.ToString() is { } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            given = auth["Bearer ".Length..].Trim();
        }

        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), _key))
        {
            context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return TypedResults.Problem("this server needs its API key: send X-Api-Key: KEY (or Authorization: Bearer KEY)",
                statusCode: StatusCodes.Status401Unauthorized, title: "unauthorized");
        }

        return await next(context);
    }
}

/// <summary>Turns what the ledger raises into a problem answer; a stream that already started just ends.</summary>
internal sealed class LedgerErrorFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        http.Response.Headers.XContentTypeOptions = "nosniff";
        try
        {
            return await next(context);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return Results.Empty;
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !http.Response.HasStarted)
        {
            return ApiProblems.FromException(http, ex);
        }
    }
}
