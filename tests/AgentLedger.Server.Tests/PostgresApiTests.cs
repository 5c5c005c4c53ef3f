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
}
