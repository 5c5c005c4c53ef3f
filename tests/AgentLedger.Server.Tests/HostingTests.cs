using System.Net;
using System.Text.Json;
using AgentLedger.Postgres;
using AgentLedger.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentLedger.Server.Tests;

/// <summary>MapAgentLedger in a user's own app: a prefix, a named ledger registered with AddAgentLedger.</summary>
public sealed class HostingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Mapped_under_a_prefix_it_serves_a_named_ledger_from_the_services()
    {
        var directory = Directory.CreateTempSubdirectory("agentledger-host-").FullName;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddAgentLedger("audit", o => o.Url = Path.Combine(directory, "audit.db")).UseSqlite();
        await using var app = builder.Build();
        app.MapGet("/", () => "the host's own page");
        app.MapAgentLedger("/ledger", o => o.LedgerName = "audit");
        await app.StartAsync(Ct);
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(app.Urls.First()) };

        using var post = await client.PostAsync("/ledger/api/events", new StringContent(TestData.Line(TestData.Spoke("r", 0, "fox", "m", 2, 3)), System.Text.Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        var runs = JsonDocument.Parse(await client.GetStringAsync("/ledger/api/runs", Ct)).RootElement.GetProperty("runs");
        Assert.Equal("r", runs[0].GetProperty("run_id").GetString());
        Assert.Equal(5, runs[0].GetProperty("tokens").GetInt64());

        Assert.Equal("the host's own page", await client.GetStringAsync("/", Ct));
        using var bare = await client.GetAsync("/ledger", Ct);
        Assert.Equal(HttpStatusCode.Redirect, bare.StatusCode);
        Assert.Equal("/ledger/", bare.Headers.Location?.ToString());
        Assert.Contains("app.js", await client.GetStringAsync("/ledger/", Ct), StringComparison.Ordinal);
        await app.StopAsync(Ct);
    }

    [Fact]
    public async Task An_unreachable_store_is_a_503_with_retry_after_naming_its_kind_and_never_its_password()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();

        // Port 1 on loopback: nothing listens, the connection is refused at once; one second of retries.
        builder.Services.AddAgentLedger(o => o.Url = "postgresql://ledger:secretpw-91@127.0.0.1:1/db?retry_seconds=1").UsePostgres();
        await using var app = builder.Build();
        app.MapAgentLedger();
        await app.StartAsync(Ct);
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        using var response = await client.GetAsync("/api/runs", Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal("unavailable", JsonDocument.Parse(body).RootElement.GetProperty("kind").GetString());
        Assert.DoesNotContain("secretpw-91", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health/ready", Ct)).StatusCode);
        await app.StopAsync(Ct);
    }
}
