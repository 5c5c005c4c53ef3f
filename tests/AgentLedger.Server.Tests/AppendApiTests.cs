using System.Net;
using System.Text;
using System.Text.Json;
using AgentLedger.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace AgentLedger.Server.Tests;

public sealed class AppendApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static StringContent Json(string body, string type = "application/json") => new(body, Encoding.UTF8, type);

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient client, HttpContent content)
    {
        using var response = await client.PostAsync("api/events", content, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement);
    }

    [Fact]
    public async Task One_object_an_array_and_json_lines_append_with_per_event_outcomes()
    {
        await using var server = await LedgerServer.StartAsync();
        var one = TestData.Spoke("r", 0, "fox", "m", 1, 1, id: "e1");
        var (status, body) = await PostAsync(server.Client, Json(TestData.Line(one)));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("appended", body.GetProperty("results")[0].GetProperty("outcome").GetString());
        Assert.Equal(1, body.GetProperty("results")[0].GetProperty("offset").GetInt64());

        // The same id: a duplicate (same content) and a conflict (other content), beside a new one.
        var conflicting = TestData.Spoke("r", 0, "fox", "m", 1, 1, text: "something else", id: "e1");
        var fresh = TestData.Spoke("r", 1, "owl", "m", 1, 1, id: "e2");
        (status, body) = await PostAsync(server.Client, Json($"[{TestData.Line(one)},{TestData.Line(fresh)}]"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["duplicate", "appended"], body.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("outcome").GetString()));
        Assert.Equal([1L, 2], body.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("offset").GetInt64()));

        var third = TestData.Spoke("r", 2, "fox", "m", 1, 1, id: "e3");
        (status, body) = await PostAsync(server.Client, Json($"{TestData.Line(conflicting)}\n\n{TestData.Line(third)}\n", "application/x-ndjson"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["conflict", "appended"], body.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("outcome").GetString()));
        Assert.Equal(1, body.GetProperty("appended").GetInt64());
        Assert.Equal(1, body.GetProperty("conflicts").GetInt64());
        Assert.Equal(3, await server.Ledger.CountAsync(Ct));
    }

    [Fact]
    public async Task A_bad_line_is_a_400_naming_line_and_field_and_nothing_is_written()
    {
        await using var server = await LedgerServer.StartAsync();
        var good = TestData.Line(TestData.Spoke("r", 0, "fox", "m", 1, 1));
        var bad = good.Replace("\"agent.spoke\"", "\"Not A Kind\"", StringComparison.Ordinal);
        var (status, body) = await PostAsync(server.Client, Json($"{good}\n{good.Replace("\"id\":", "\"x\":", StringComparison.Ordinal)}\n{bad}\n", "application/x-ndjson"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(3, body.GetProperty("line").GetInt64());
        Assert.Equal("kind", body.GetProperty("field").GetString());
        Assert.Equal(0, await server.Ledger.CountAsync(Ct));

        (status, body) = await PostAsync(server.Client, Json($"[{good},{{\"run_id\":\"r\",\"turn\":-1,\"kind\":\"a.b\",\"actor\":\"x\",\"payload\":{{}}}}]"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(1, body.GetProperty("index").GetInt32());
        Assert.Equal("turn", body.GetProperty("field").GetString());

        (status, body) = await PostAsync(server.Client, Json("""{"run_id":"r","turn":0,"kind":"a.b","actor":"x"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("payload", body.GetProperty("field").GetString());
        Assert.Equal(0, await server.Ledger.CountAsync(Ct));
    }

    [Fact]
    public async Task A_body_over_the_limit_is_a_413_and_nothing_is_written()
    {
        await using var server = await LedgerServer.StartAsync(maxBodyBytes: 1024);
        var line = TestData.Line(TestData.Spoke("r", 0, "fox", "m", 1, 1, text: new string('x', 2000)));
        var (status, _) = await PostAsync(server.Client, Json(line));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);

        // Without a Content-Length (chunked), the limit is counted as the body arrives.
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(line)));
        chunked.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/events") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using var response = await server.Client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, await server.Ledger.CountAsync(Ct));
    }

    [Fact]
    public async Task A_configured_limit_above_the_servers_own_30_mb_is_honoured()
    {
        await using var server = await LedgerServer.StartAsync(maxBodyBytes: 40L * 1024 * 1024);
        var line = TestData.Line(TestData.Spoke("big", 0, "fox", "m", 1, 1, text: new string('x', 31 * 1024 * 1024)));
        var (status, body) = await PostAsync(server.Client, Json(line));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("appended", body.GetProperty("results")[0].GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task A_read_only_server_refuses_appends_with_405()
    {
        await using var server = await LedgerServer.StartAsync(readOnly: true);
        using var response = await server.Client.PostAsync("api/events", Json(TestData.Line(TestData.Spoke("r", 0, "fox", "m", 1, 1))), Ct);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("GET", response.Content.Headers.Allow.Single());
        Assert.Equal(0, await server.Ledger.CountAsync(Ct));
    }

    [Fact]
    public async Task A_read_only_store_is_a_409_problem_with_its_kind_and_no_stack_trace()
    {
        var directory = Directory.CreateTempSubdirectory("agentledger-ro-").FullName;
        var file = Path.Combine(directory, "ro.db");
        await using (var writer = await AgentLedger.Ledger.Create().UseSqlite().OpenAsync(file, cancellationToken: Ct))
        {
            await writer.AppendAsync(TestData.Spoke("r", 0, "fox", "m", 1, 1), Ct);
        }

        await using var server = await LedgerServer.StartAsync(url: $"sqlite:///{file}?mode=ro");
        using var response = await server.Client.PostAsync("api/events", Json(TestData.Line(TestData.Spoke("r", 1, "fox", "m", 1, 1))), Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal("read_only", problem.GetProperty("kind").GetString());
        Assert.DoesNotContain(directory, body, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Storage_kinds_map_to_statuses_and_transient_ones_carry_retry_after()
    {
        foreach (var (kind, status, retry) in new[]
        {
            (LedgerErrorKind.Unavailable, 503, true), (LedgerErrorKind.Busy, 503, true), (LedgerErrorKind.Timeout, 504, true),
            (LedgerErrorKind.ReadOnly, 409, false), (LedgerErrorKind.DiskFull, 507, false), (LedgerErrorKind.Corrupt, 500, false),
        })
        {
            var http = new Microsoft.AspNetCore.Http.DefaultHttpContext { RequestServices = new ServiceCollection().BuildServiceProvider() };
            var result = ApiProblems.FromException(http, new LedgerStorageException(kind, "postgresql://u:***@h/db", "boom with secret-ish detail"));
            var problem = Assert.IsType<Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult>(result);
            Assert.Equal(status, problem.StatusCode);
            Assert.Equal(retry, http.Response.Headers.RetryAfter.Count > 0);
            Assert.DoesNotContain("boom", problem.ProblemDetails.Detail, StringComparison.Ordinal);
        }
    }
}
