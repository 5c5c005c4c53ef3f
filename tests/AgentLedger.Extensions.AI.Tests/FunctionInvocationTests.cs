using Microsoft.Extensions.AI;
using Xunit;

namespace AgentLedger.Extensions.AI.Tests;

/// <summary>Both placements relative to UseFunctionInvocation() record the model calls and the tool invocations.</summary>
public sealed class FunctionInvocationTests : IAsyncLifetime
{
    private TestLedger _test = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _test = await TestLedger.OpenAsync();

    public async ValueTask DisposeAsync() => await _test.DisposeAsync();

    private static FakeChatClient ToolUsingModel() => new(
        new FakeStep("", "m/tools", Input: 50, Output: 7) { CallsTool = new FunctionCallContent("call-1", "weather", new Dictionary<string, object?> { ["city"] = "Oslo" }) },
        new FakeStep("It is 4 degrees in Oslo.", "m/tools", Input: 80, Output: 9));

    private static AIFunction Weather() => AIFunctionFactory.Create((string city) => $"4 degrees in {city}", "weather");

    [Fact]
    public async Task Inside_the_loop_each_round_trip_is_an_event_and_the_tool_call_is_recorded_with_its_call_id()
    {
        var client = ToolUsingModel().AsBuilder().UseFunctionInvocation().UseAgentLedger(_test.Ledger).Build();
        await using var run = await _test.Ledger.BeginRunAsync("tools-in", cancellationToken: Ct);
        using (run.Turn(1, "fox"))
        {
            var response = await client.GetResponseAsync("weather in Oslo?", new ChatOptions { Tools = [Weather()] }, Ct);
            Assert.Equal("It is 4 degrees in Oslo.", response.Text);
        }

        var events = (await _test.EventsAsync()).Where(e => e.Kind is not ("run.started" or "run.finished")).ToList();
        Assert.Equal(["model.responded", "tool.called", "tool.returned", "model.responded"], events.Select(e => e.Kind));
        Assert.All(events, e => Assert.Equal("fox", e.Actor));
        Assert.Equal("call-1", events[0].At("tool_calls")[0].GetProperty("call_id").GetString());
        Assert.Equal("tool_calls", events[0].At("finish_reason").GetString());
        Assert.Equal(("call-1", "weather", "Oslo"), (events[1].At("call_id").GetString(), events[1].At("name").GetString(), events[1].At("arguments", "city").GetString()));
        Assert.Equal(("call-1", "4 degrees in Oslo"), (events[2].At("call_id").GetString(), events[2].At("result").GetString()));
        Assert.Equal([57L, 89L], events.Where(e => e.Kind == "model.responded").Select(TokenUsage.Of));
    }

    [Fact]
    public async Task Outside_the_loop_one_event_carries_the_summed_usage_and_the_invoker_records_the_tool_with_its_latency()
    {
        var client = ToolUsingModel().AsBuilder().UseAgentLedger(_test.Ledger).UseFunctionInvocation().Build();
        await using var run = await _test.Ledger.BeginRunAsync("tools-out", cancellationToken: Ct);
        using (run.Turn(1, "owl"))
        {
            await client.GetResponseAsync("weather in Oslo?", new ChatOptions { Tools = [Weather()] }, Ct);
        }

        var events = (await _test.EventsAsync()).Where(e => e.Kind is not ("run.started" or "run.finished")).ToList();
        Assert.Equal(["tool.called", "tool.returned", "model.responded"], events.Select(e => e.Kind));
        Assert.Equal(146, TokenUsage.Of(events[2]));
        Assert.Equal("call-1", events[1].At("call_id").GetString());
        Assert.True(events[1].At("latency_ms").GetDouble() >= 0);
        Assert.Equal("4 degrees in Oslo", events[1].At("result").GetString());
    }

    [Fact]
    public async Task A_tool_that_throws_is_recorded_with_its_error()
    {
        var failing = AIFunctionFactory.Create(new Func<string, string>(city => throw new InvalidOperationException("no data for " + city)), "weather");
        var client = ToolUsingModel().AsBuilder().UseAgentLedger(_test.Ledger).UseFunctionInvocation().Build();

        await client.GetResponseAsync("weather in Oslo?", new ChatOptions { Tools = [failing] }, Ct);

        var returned = await _test.SingleAsync("tool.returned");
        Assert.Equal(typeof(InvalidOperationException).FullName, returned.At("error", "type").GetString());
    }
}
