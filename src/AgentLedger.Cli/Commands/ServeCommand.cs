using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace AgentLedger.Cli.Commands;

internal static class ServeCommand
{
    public const string ApiKeyVariable = "AGENTLEDGER_API_KEY";

    private static readonly Option<string> Urls = new("--urls")
    {
        Description = "Where to listen, ';' between several (default http://127.0.0.1:5087; port 0 picks a free one). Any non-loopback address needs an API key",
        DefaultValueFactory = _ => "http://127.0.0.1:5087",
    };

    private static readonly Option<string?> ApiKey = new("--api-key")
    {
        Description = $"Require this key on every API and stream request (prefer the {ApiKeyVariable} variable: a command line is visible to other users)",
    };

    private static readonly Option<bool> ReadOnly = new("--read-only") { Description = "Refuse appends (405): the server only reads" };

    private static readonly Option<int> MaxBodyMb = new("--max-body-mb")
    {
        Description = "The largest append body accepted, in MiB (default 16); larger gets 413",
        DefaultValueFactory = _ => 16,
    };

    private static readonly Option<string[]> CorsOrigin = new("--cors-origin")
    {
        Description = "Let pages of this origin (e.g. https://dash.example.com) call the API from a browser; repeat for several. Default: none",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Command Create()
    {
        var command = new Command("serve", "Serve the ledger over HTTP: a JSON API, live Server-Sent Event streams and a web viewer.\n\n"
            + "Examples:\n  agentledger serve                         # then open http://127.0.0.1:5087/\n"
            + $"  {ApiKeyVariable}=secret agentledger serve --urls http://0.0.0.0:5087\n  agentledger --db runs.db serve --read-only")
        {
            Urls, ApiKey, ReadOnly, MaxBodyMb, CorsOrigin,
        };
        CommandAction.Set(command, async (context, cancellationToken) =>
        {
            var key = context.Get(ApiKey) is { Length: > 0 } given ? given
                : Environment.GetEnvironmentVariable(ApiKeyVariable) is { Length: > 0 } env ? env : null;
            if (context.Get(MaxBodyMb) is < 1 or > 1024)
            {
                throw new UsageException("--max-body-mb must be 1 to 1024");
            }

            var urls = context.Get(Urls)!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var origins = context.Get(CorsOrigin) ?? [];
            if (origins.FirstOrDefault(o => !Uri.TryCreate(o, UriKind.Absolute, out var u) || u.AbsolutePath != "/" || o.EndsWith('/')) is { } bad)
            {
                throw new UsageException($"--cors-origin: '{bad}' is not an origin such as https://dash.example.com (scheme, host, port; no path)");
            }

            var settings = new ServeSettings(urls, key, context.Get(ReadOnly), context.Get(MaxBodyMb) * 1024L * 1024) { CorsOrigins = origins };
            ServeHost.CheckBinding(settings); // before opening anything

            // A read-only server never creates a ledger; a writing one creates it on first use, like append.
            await using var ledger = settings.ReadOnly ? await context.OpenForReadingAsync(cancellationToken) : await context.OpenForWritingAsync(cancellationToken);
            await using var app = ServeHost.Build(ledger, settings);
            try
            {
                await app.StartAsync(cancellationToken);
            }
            catch (IOException ex)
            {
                throw new CliException($"cannot listen on {string.Join(", ", urls)}: {ex.Message}");
            }

            await Console.Out.WriteLineAsync($"serving {context.DisplayLocation}{(settings.ReadOnly ? " (read-only)" : "")}{(key is null ? "" : "; API key required")}");
            foreach (var address in app.Urls)
            {
                await Console.Out.WriteLineAsync($"open {address.TrimEnd('/')}/   (API {address.TrimEnd('/')}/api, OpenAPI {address.TrimEnd('/')}/openapi/v1.json)");
            }

            await Console.Out.WriteLineAsync("Ctrl-C stops");
            await Console.Out.FlushAsync(cancellationToken);
            await app.WaitForShutdownAsync(cancellationToken);
            await app.StopAsync(CancellationToken.None);
            return Cli.Ok;
        });
        return command;
    }
}
