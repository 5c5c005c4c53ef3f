using System.Net;
using System.Text.Json;

namespace AgentLedger.Server.Tests;

public sealed class ServeCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Serve_prints_the_address_serves_the_demo_and_ends_cleanly_on_ctrl_c()
    {
        var directory = Directory.CreateTempSubdirectory("agentledger-serve-").FullName;
        var demo = await ServeProcess.RunAsync(directory, "demo", "--runs", "2", "--seed", "7");
        Assert.True(demo.ExitCode == 0, demo.Stderr);

        var (serve, address) = await ServeProcess.StartAsync(directory, ["serve", "--urls", "http://127.0.0.1:0"]);
        await using (serve)
        {
            using var client = new HttpClient { BaseAddress = address };
            var runs = JsonDocument.Parse(await client.GetStringAsync("api/runs", Ct)).RootElement.GetProperty("runs");
            Assert.Equal(2, runs.GetArrayLength());
            Assert.StartsWith("<!doctype html>", await client.GetStringAsync("", Ct), StringComparison.OrdinalIgnoreCase);
            Assert.Equal(0, await serve.InterruptAsync());
        }
    }

    [Fact]
    public async Task Serve_refuses_a_public_address_without_a_key_before_opening_anything()
    {
        var directory = Directory.CreateTempSubdirectory("agentledger-serve-").FullName;
        var (exitCode, _, stderr) = await ServeProcess.RunAsync(directory, "serve", "--urls", "http://0.0.0.0:0");
        Assert.Equal(2, exitCode);
        Assert.Contains("AGENTLEDGER_API_KEY", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(directory, "agentledger.db")));
    }

    [Fact]
    public async Task The_key_from_the_environment_is_required_and_never_printed()
    {
        var directory = Directory.CreateTempSubdirectory("agentledger-serve-").FullName;
        const string key = "env-key-7f3a9";
        var (serve, address) = await ServeProcess.StartAsync(directory, ["serve", "--urls", "http://127.0.0.1:0"], new Dictionary<string, string> { ["AGENTLEDGER_API_KEY"] = key });
        await using (serve)
        {
            using var client = new HttpClient { BaseAddress = address };
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("api/info", Ct)).StatusCode);
            client.DefaultRequestHeaders.Add("X-Api-Key", key);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("api/info", Ct)).StatusCode);
            Assert.Equal(0, await serve.InterruptAsync());
            Assert.DoesNotContain(key, serve.Stdout + serve.Stderr, StringComparison.Ordinal);
            Assert.Contains("API key required", serve.Stdout, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(1, "no ledger here yet", "serve", "--read-only", "--urls", "http://127.0.0.1:0")]
    [InlineData(2, "not an http://", "serve", "--urls", "ftp://127.0.0.1:5087")]
    [InlineData(2, "not an origin", "serve", "--cors-origin", "https://dash.example.com/path")]
    [InlineData(2, "--max-body-mb", "serve", "--max-body-mb", "0")]
    public async Task Serve_refuses_what_it_cannot_do_with_one_line_and_creates_nothing(int exitCode, string message, params string[] args)
    {
        var directory = Directory.CreateTempSubdirectory("agentledger-serve-").FullName;
        var result = await ServeProcess.RunAsync(directory, args);
        Assert.Equal(exitCode, result.ExitCode);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Stderr, StringComparison.Ordinal); // one line, no stack trace
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.False(File.Exists(Path.Combine(directory, "agentledger.db")));
    }
}
