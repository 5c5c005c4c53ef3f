using AgentLedger.Postgres;
using AgentLedger.Server;
using AgentLedger.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentLedger.ServerBench;

/// <summary>A real Kestrel on a free loopback port serving one ledger with the public MapAgentLedger, as a user's host would.</summary>
internal sealed class BenchServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BenchServer(WebApplication app, ILedger ledger)
    {
        _app = app;
        Ledger = ledger;
        BaseAddress = new Uri(app.Urls.First().TrimEnd('/') + "/");
    }

    public ILedger Ledger { get; }

    public Uri BaseAddress { get; }

    public static async Task<ILedger> OpenAsync(string url)
        => await AgentLedger.Ledger.Create().UseSqlite().UsePostgres().OpenAsync(url);

    public static async Task<BenchServer> StartAsync(string url)
    {
        var ledger = await OpenAsync(url);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(ledger);
        builder.Services.AddSingleton<ILedgerReader>(ledger);
        builder.Services.AddSingleton<ILedgerWriter>(ledger);
        var app = builder.Build();
        app.MapAgentLedger("", o => o.EnableViewer = false);
        await app.StartAsync();
        return new BenchServer(app, ledger);
    }

    /// <summary>A client with as many connections as asked (HTTP/1.1: one open stream holds one connection).</summary>
    public HttpClient NewClient() => new(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
    {
        BaseAddress = BaseAddress,
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await Ledger.DisposeAsync();
    }
}
