using System.Net;
using AgentLedger.Cli;

namespace AgentLedger.Server.Tests;

public sealed class SecurityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("api/runs")]
    [InlineData("api/events")]
    [InlineData("api/stream")]
    [InlineData("api/runs/r/stream")]
    [InlineData("api/stats")]
    public async Task With_a_key_every_api_and_stream_request_needs_it(string path)
    {
        await using var server = await LedgerServer.StartAsync(apiKey: "s3cret-key");
        using var anonymous = new HttpClient { BaseAddress = server.BaseAddress };
        using var none = await anonymous.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.DoesNotContain("s3cret-key", await none.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        using var wrong = new HttpRequestMessage(HttpMethod.Get, path);
        wrong.Headers.Add("X-Api-Key", "s3cret-kez");
        using var wrongResponse = await anonymous.SendAsync(wrong, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongResponse.StatusCode);

        using var bearer = new HttpRequestMessage(HttpMethod.Get, path);
        bearer.Headers.Authorization = new("Bearer", "s3cret-key");
        using var ok = await anonymous.SendAsync(bearer, HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task With_a_key_appends_need_it_too_and_the_viewer_and_health_stay_open()
    {
        await using var server = await LedgerServer.StartAsync(apiKey: "k");
        using var anonymous = new HttpClient { BaseAddress = server.BaseAddress };
        using var post = await anonymous.PostAsync("api/events", new StringContent(TestData.Line(TestData.Spoke("r", 0, "fox", "m", 1, 1)), System.Text.Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, post.StatusCode);
        Assert.Equal(0, await server.Ledger.CountAsync(Ct));
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("health/ready", Ct)).StatusCode);
    }

    [Fact]
    public async Task The_viewer_is_served_with_a_strict_content_security_policy()
    {
        await using var server = await LedgerServer.StartAsync();
        using var page = await server.Client.GetAsync("", Ct);
        var csp = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        var html = await page.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain(" style=", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("app.js", Ct)).StatusCode);
    }

    [Theory]
    [InlineData("http://0.0.0.0:5087")]
    [InlineData("http://*:5087")]
    [InlineData("http://+:5087")]
    [InlineData("http://192.168.1.20:5087")]
    [InlineData("http://[::]:5087")]
    [InlineData("http://example.com:5087")]
    public void A_non_loopback_address_is_refused_without_a_key(string url)
    {
        var ex = Assert.Throws<UsageException>(() => ServeHost.CheckBinding(new ServeSettings([url], null, false, 1024)));
        Assert.Contains("API key", ex.Message, StringComparison.Ordinal);
        ServeHost.CheckBinding(new ServeSettings([url], "key", false, 1024));
    }

    [Theory]
    [InlineData("http://127.0.0.1:5087")]
    [InlineData("http://localhost:5087")]
    [InlineData("http://[::1]:0")]
    public void A_loopback_address_needs_no_key(string url)
        => ServeHost.CheckBinding(new ServeSettings([url], null, false, 1024));
}

public sealed class CorsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<HttpResponseMessage> PreflightAsync(LedgerServer server, string origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "api/runs");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "GET");
        request.Headers.Add("Access-Control-Request-Headers", "x-api-key");
        return await server.Client.SendAsync(request, Ct);
    }

    [Fact]
    public async Task No_cors_headers_are_sent_unless_an_origin_is_configured()
    {
        await using var server = await LedgerServer.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/runs");
        request.Headers.Add("Origin", "https://evil.example");
        using var response = await server.Client.SendAsync(request, Ct);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        using var preflight = await PreflightAsync(server, "https://evil.example");
        Assert.False(preflight.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task A_configured_origin_may_call_the_api_and_others_may_not()
    {
        await using var server = await LedgerServer.StartAsync(corsOrigins: ["https://dash.example.com"]);
        using var allowed = await PreflightAsync(server, "https://dash.example.com");
        Assert.Equal("https://dash.example.com", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        using var other = await PreflightAsync(server, "https://evil.example");
        Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));
    }
}
