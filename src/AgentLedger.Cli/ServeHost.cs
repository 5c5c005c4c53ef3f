using System.Net;
using System.Text.RegularExpressions;
using AgentLedger.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentLedger.Cli;

/// <summary>What <c>agentledger serve</c> serves and how.</summary>
internal sealed record ServeSettings(IReadOnlyList<string> Urls, string? ApiKey, bool ReadOnly, long MaxBodyBytes)
{
    /// <summary>Origins whose pages may call the API from a browser; none by default (no CORS headers at all).</summary>
    public IReadOnlyList<string> CorsOrigins { get; init; } = [];

    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(15);
}

/// <summary>
/// The web host of <c>agentledger serve</c>: one ledger object shared by every request, the API, streams and
/// viewer of <see cref="AgentLedgerEndpointRouteBuilderExtensions.MapAgentLedger"/>, the OpenAPI document.
/// Tests build the same host in-process, so what they check is what the command runs.
/// </summary>
internal static partial class ServeHost
{
    public static WebApplication Build(ILedger ledger, ServeSettings settings)
    {
        CheckBinding(settings);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "agentledger", ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls([.. settings.Urls]);

        // Warnings and errors only, on standard error: standard output carries the address to open.
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning).SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));

        // The instance is the command's: it is disposed by the command after the host has stopped.
        builder.Services.AddSingleton(ledger);
        builder.Services.AddSingleton<ILedgerReader>(ledger);
        builder.Services.AddSingleton<ILedgerWriter>(ledger);
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();
        if (settings.CorsOrigins.Count > 0)
        {
            builder.Services.AddCors(o => o.AddDefaultPolicy(p => p.WithOrigins([.. settings.CorsOrigins])
                .WithMethods("GET", "POST").WithHeaders("X-Api-Key", "Authorization", "Content-Type", "Last-Event-ID")));
        }

        var app = builder.Build();
        if (settings.CorsOrigins.Count > 0)
        {
            app.UseCors();
        }

        app.MapOpenApi();
        app.MapAgentLedger("", o =>
        {
            o.ApiKey = settings.ApiKey;
            o.ReadOnly = settings.ReadOnly;
            o.MaxBodyBytes = settings.MaxBodyBytes;
            o.HeartbeatInterval = settings.HeartbeatInterval;
        });
        return app;
    }

    /// <summary>Loopback unless told otherwise; any other address only with a key.</summary>
    public static void CheckBinding(ServeSettings settings)
    {
        foreach (var url in settings.Urls)
        {
            var match = UrlHost().Match(url);
            if (!match.Success)
            {
                throw new UsageException($"--urls: '{url}' is not an http:// or https:// address, e.g. http://127.0.0.1:5087");
            }

            if (!IsLoopback(match.Groups["host"].Value) && settings.ApiKey is null)
            {
                throw new UsageException($"refusing to listen on {url} without an API key: anyone who reaches it could read and write the ledger; "
                    + "set AGENTLEDGER_API_KEY (or --api-key), or listen on 127.0.0.1");
            }
        }
    }

    private static bool IsLoopback(string host)
        => host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    [GeneratedRegex(@"^https?://(?<host>\[[^\]]*\]|[^:/\[]+)(:\d+)?/?$", RegexOptions.IgnoreCase)]
    private static partial Regex UrlHost();
}
