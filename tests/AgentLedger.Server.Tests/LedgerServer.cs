using AgentLedger.Cli;
using AgentLedger.Postgres;
using AgentLedger.Sqlite;
using Microsoft.AspNetCore.Builder;

namespace AgentLedger.Server.Tests;

/// <summary>
/// The host of <c>agentledger serve</c>, built in-process on a real Kestrel at a free loopback port, over a
/// real ledger (a fresh SQLite file by default), so offsets can be asserted exactly.
/// </summary>
public sealed class LedgerServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string? _directory;

    private LedgerServer(WebApplication app, ILedger ledger, string? directory, string? apiKey)
    {
        _app = app;
        Ledger = ledger;
        _directory = directory;
        BaseAddress = new Uri(app.Urls.First().TrimEnd('/') + "/");
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (apiKey is not null)
        {
            Client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }
    }

    public ILedger Ledger { get; }

    public Uri BaseAddress { get; }

    /// <summary>A client that sends the key, when the server has one.</summary>
    public HttpClient Client { get; }

    public static async Task<LedgerServer> StartAsync(
        string? apiKey = null, bool readOnly = false, long maxBodyBytes = 16 * 1024 * 1024, TimeSpan? heartbeat = null,
        string? url = null, string? file = null, string[]? corsOrigins = null)
    {
        var ct = TestContext.Current.CancellationToken;
        string? directory = null;
        if (url is null)
        {
            directory = Directory.CreateTempSubdirectory("agentledger-server-").FullName;
            url = file ?? Path.Combine(directory, "ledger.db");
        }

        var ledger = await AgentLedger.Ledger.Create().UseSqlite().UsePostgres().OpenAsync(url, cancellationToken: ct);
        var settings = new ServeSettings(["http://127.0.0.1:0"], apiKey, readOnly, maxBodyBytes) { HeartbeatInterval = heartbeat ?? TimeSpan.FromSeconds(15), CorsOrigins = corsOrigins ?? [] };
        var app = ServeHost.Build(ledger, settings);
        await app.StartAsync(ct);
        return new LedgerServer(app, ledger, directory, apiKey);
    }

    /// <summary>Stops the host the way Ctrl-C does (open streams must end).</summary>
    public Task StopAsync() => _app.StopAsync(CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        await Ledger.DisposeAsync();
        if (_directory is not null)
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // A file still closing: the temp folder is cleaned by the system.
            }
        }
    }
}
