using System.Text.Json;

namespace AgentLedger.Server.Tests;

/// <summary>The API over PostgreSQL (AGENTLEDGER_TEST_POSTGRES, which scripts/test.sh sets): append, stream, and no password in any answer.</summary>
public sealed class PostgresApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Url => Environment.GetEnvironmentVariable("AGENTLEDGER_TEST_POSTGRES") is { Length: > 0 } url
        ? url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + $"schema=t_{Guid.NewGuid():N}"
        : throw new InvalidOperationException("AGENTLEDGER_TEST_POSTGRES is not set: run the tests through scripts/test.sh (it starts a throwaway PostgreSQL)");

    [Fact]
    public async Task Appends_over_http_stream_live_and_no_answer_carries_the_password()
    {
        var url = Url;
        await using var server = await LedgerServer.StartAsync(url: url);
        await using var sse = await SseClient.OpenAsync(server.Client, "api/stream");
        var batch = string.Join('\n', TestData.Run("pg").Select(TestData.Line));
        using var post = await server.Client.PostAsync("api/events", new StringContent(batch, System.Text.Encoding.UTF8, "application/x-ndjson"), Ct);
        Assert.True(post.IsSuccessStatusCode, await post.Content.ReadAsStringAsync(Ct));
        Assert.Equal([1L, 2, 3, 4, 5, 6], (await sse.TakeAsync(6)).Select(m => m.Offset));

        var summary = JsonDocument.Parse(await server.Client.GetStringAsync("api/runs/pg", Ct)).RootElement;
        Assert.Equal(110, summary.GetProperty("tokens").GetInt64());
        var info = await server.Client.GetStringAsync("api/info", Ct);
        Assert.Contains("\"backend\":\"postgres\"", info, StringComparison.Ordinal);
        var password = new Uri(url).UserInfo.Split(':').ElementAtOrDefault(1);
        if (!string.IsNullOrEmpty(password))
        {
            Assert.DoesNotContain(Uri.UnescapeDataString(password), info, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Serve_over_postgresql_prints_and_returns_no_password()
    {
        var url = Url;
        var password = Uri.UnescapeDataString(new Uri(url.Split('?')[0]).UserInfo.Split(':').ElementAtOrDefault(1) ?? "");
        Assert.False(string.IsNullOrEmpty(password), "the test server's URL carries a password, so its absence below means something");
        var directory = Directory.CreateTempSubdirectory("agentledger-serve-pg-").FullName;
        var (serve, address) = await ServeProcess.StartAsync(directory, ["--db", url, "serve", "--urls", "http://127.0.0.1:0"]);
        await using (serve)
        {
            using var client = new HttpClient { BaseAddress = address };
            var answers = string.Join('\n', await Task.WhenAll(
                client.GetStringAsync("api/info", Ct), client.GetStringAsync("api/runs", Ct), client.GetStringAsync("openapi/v1.json", Ct)));
            Assert.Equal(0, await serve.InterruptAsync());
            Assert.DoesNotContain(password, answers, StringComparison.Ordinal);
            Assert.DoesNotContain(password, serve.Stdout + serve.Stderr, StringComparison.Ordinal);
            Assert.Contains("serving postgres", serve.Stdout, StringComparison.Ordinal);
        }
    }
}
