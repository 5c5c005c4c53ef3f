using Microsoft.Extensions.AI;
using Xunit;

namespace AgentLedger.Extensions.AI.Tests;

/// <summary>One model call, one event: what the middleware records for answers, streams and failures.</summary>
public sealed class ChatClientTests : IAsyncLifetime
{
    private TestLedger _test = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _test = await TestLedger.OpenAsync();

    public async ValueTask DisposeAsync() => await _test.DisposeAsync();

    private IChatClient Pipeline(IChatClient model, Action<LedgerChatClientOptions>? configure = null)
        => model.AsBuilder().UseAgentLedger(_test.Ledger, configure).Build();

    [Fact]
    public async Task A_response_is_recorded_with_the_model_that_answered_its_usage_and_the_request()
    {
        var client = Pipeline(new FakeChatClient(new FakeStep("The lantern is at the mill.", "openai/gpt-4o-mini", Input: 120, Output: 8)));
        await using var run = await _test.Ledger.BeginRunAsync("run-1", cancellationToken: Ct);
        using (run.Turn(3, actor: "fox", modelProfile: "fast"))
        {
            await client.GetResponseAsync([new ChatMessage(ChatRole.System, "You are fox."), new ChatMessage(ChatRole.User, "Where is the lantern?")], cancellationToken: Ct);
        }

        var e = await _test.SingleAsync("model.responded");
        Assert.Equal(("run-1", 3, "fox", "fast", "openai/gpt-4o-mini"), (e.RunId, e.Turn, e.Actor, e.ModelProfile, e.ModelId));
        Assert.Equal(120, e.At("usage", "input_tokens").GetInt64());
        Assert.Equal(8, e.At("usage", "output_tokens").GetInt64());
        Assert.Equal(128, e.At("usage", "total_tokens").GetInt64());
        Assert.Equal(3, e.At("usage", "cached_input_tokens").GetInt64());
        Assert.Equal("stop", e.At("finish_reason").GetString());
        Assert.Equal("The lantern is at the mill.", e.At("text").GetString());
        Assert.Equal("Where is the lantern?", e.At("request", "messages")[1].GetProperty("text").GetString());
        Assert.Equal(2, e.At("request", "message_count").GetInt32());
        Assert.True(e.At("latency_ms").GetDouble() >= 0);
        Assert.Equal(128, TokenUsage.Of(e));
    }

    [Fact]
    public async Task Model_id_falls_back_to_the_request_then_to_the_client_default()
    {
        var client = Pipeline(new FakeChatClient(new FakeStep("a", ModelId: null)) { DefaultModelId = "local/default-model" });

        await client.GetResponseAsync("one", new ChatOptions { ModelId = "asked/model" }, Ct);
        await client.GetResponseAsync("two", cancellationToken: Ct);

        var events = await _test.EventsAsync("model.responded");
        Assert.Equal(["asked/model", "local/default-model"], events.Select(e => e.ModelId));
    }

    [Fact]
    public async Task A_stream_is_recorded_once_when_it_ends_with_the_usage_of_its_last_update()
    {
        var client = Pipeline(new FakeChatClient(new FakeStep("one two three", "m/stream", Input: 40, Output: 3)));

        var text = "";
        await foreach (var update in client.GetStreamingResponseAsync("count", cancellationToken: Ct))
        {
            text += update.Text;
            Assert.Empty(await _test.EventsAsync("model.responded"));
        }

        var e = await _test.SingleAsync("model.responded");
        Assert.Equal("one two three", text);
        Assert.Equal("one two three", e.At("text").GetString());
        Assert.Equal(43, e.At("usage", "total_tokens").GetInt64());
        Assert.True(e.At("streaming").GetBoolean());
        Assert.Equal("m/stream", e.ModelId);
        Assert.False(e.PayloadElement.TryGetProperty("stopped_early", out _));
    }

    [Fact]
    public async Task A_stream_the_consumer_abandons_is_still_recorded_as_stopped_early()
    {
        var client = Pipeline(new FakeChatClient(new FakeStep("one two three four", "m/stream")));

        await foreach (var update in client.GetStreamingResponseAsync("count", cancellationToken: Ct))
        {
            break;
        }

        var e = await _test.SingleAsync("model.responded");
        Assert.True(e.At("stopped_early").GetBoolean());
        Assert.Equal("one", e.At("text").GetString());
    }

    [Fact]
    public async Task A_stream_that_throws_is_recorded_as_failed_with_what_had_arrived()
    {
        var client = Pipeline(new FakeChatClient(new FakeStep("one two three", "m/stream") { ThrowAfterWords = 2 }));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync("count", cancellationToken: Ct))
            {
            }
        });

        var e = await _test.SingleAsync("model.failed");
        Assert.Equal("the stream broke", error.Message);
        Assert.Equal(typeof(InvalidOperationException).FullName, e.At("error", "type").GetString());
        Assert.Equal("one two", e.At("partial_text").GetString());
        Assert.Empty(await _test.EventsAsync("model.responded"));
    }

    [Fact]
    public async Task An_exception_is_recorded_as_failed_and_still_reaches_the_caller()
    {
        var client = Pipeline(new FakeChatClient(new FakeStep("x") { Throws = new HttpRequestException("503 from the provider") }) { DefaultModelId = "m/x" });

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetResponseAsync("hi", cancellationToken: Ct));

        var e = await _test.SingleAsync("model.failed");
        Assert.False(e.At("cancelled").GetBoolean());
        Assert.Equal("503 from the provider", e.At("error", "message").GetString());
        Assert.Equal("m/x", e.ModelId);
    }

    [Fact]
    public async Task A_cancelled_call_is_recorded_as_failed_and_cancelled()
    {
        var client = Pipeline(new FakeChatClient(new FakeStep("x") { WaitsForCancellation = true }));
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cancel.CancelAfter(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetResponseAsync("hi", cancellationToken: cancel.Token));

        var e = await _test.SingleAsync("model.failed");
        Assert.True(e.At("cancelled").GetBoolean());
    }

    [Fact]
    public async Task With_content_capture_off_nothing_of_the_messages_is_stored()
    {
        const string Secret = "my-secret-prompt-7f3a";
        var model = new FakeChatClient(
            new FakeStep("") { CallsTool = new FunctionCallContent("c1", "lookup", new Dictionary<string, object?> { ["q"] = Secret }) },
            new FakeStep("answer " + Secret));
        var lookup = AIFunctionFactory.Create((string q) => "result " + Secret, "lookup");
        var client = model.AsBuilder().UseFunctionInvocation().UseAgentLedger(_test.Ledger, o => o.CaptureContent = false).Build();

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, Secret)], new ChatOptions { Tools = [lookup] }, Ct);

        Assert.Contains(Secret, response.Text, StringComparison.Ordinal);
        var events = await _test.EventsAsync();
        Assert.Equal(["model.responded", "tool.called", "tool.returned", "model.responded"], events.Select(e => e.Kind));
        Assert.All(events, e => Assert.DoesNotContain(Secret, e.Payload, StringComparison.Ordinal));
        Assert.All(events.Where(e => e.Kind == "model.responded"), e => Assert.True(e.At("usage", "total_tokens").GetInt64() > 0));
    }

    [Fact]
    public async Task Outside_any_run_a_call_records_under_the_options_run_and_actor()
    {
        var client = Pipeline(new FakeChatClient(new FakeStep("hi")), o => { o.RunId = "chat-7"; o.Actor = "helper"; o.ModelProfile = "cheap"; });

        await client.GetResponseAsync("hello", cancellationToken: Ct);

        var e = await _test.SingleAsync("model.responded");
        Assert.Equal(("chat-7", 0, "helper", "cheap"), (e.RunId, e.Turn, e.Actor, e.ModelProfile));
    }

    [Fact]
    public async Task Two_clients_recording_under_the_same_run_and_actor_outside_any_run_do_not_collide()
    {
        var first = Pipeline(new FakeChatClient(new FakeStep("from the first")), o => o.RunId = "shared");
        var second = Pipeline(new FakeChatClient(new FakeStep("from the second")), o => o.RunId = "shared");

        await first.GetResponseAsync("a", cancellationToken: Ct);
        await second.GetResponseAsync("b", cancellationToken: Ct);

        Assert.Equal(["from the first", "from the second"], (await _test.EventsAsync("model.responded")).Select(e => e.At("text").GetString()));
    }
}
