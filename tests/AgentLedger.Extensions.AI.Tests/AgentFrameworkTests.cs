using AgentLedger.Agents;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Xunit;

namespace AgentLedger.Extensions.AI.Tests;

/// <summary>
/// The Agent Framework stores and middleware: each test throws the process-side objects away (agent, provider,
/// session, ledger handle) and carries on from the SQLite file alone.
/// </summary>
public sealed class AgentFrameworkTests : IAsyncLifetime
{
    private TestLedger _test = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _test = await TestLedger.OpenAsync();

    public async ValueTask DisposeAsync() => await _test.DisposeAsync();

    // A model that says how much of the conversation it was given: the history is visible in its answers.
    private static OfflineChatClient CountingModel() => new("offline/counter", request => $"I was given {request.Count(m => m.Role != ChatRole.System)} messages, the last: {request[^1].Text}");

    private static ChatClientAgent Fox(IChatClient model, ChatHistoryProvider history)
        => new(model, new ChatClientAgentOptions { Name = "fox", ChatHistoryProvider = history });

    [Fact]
    public async Task A_restarted_agent_continues_its_conversation_from_the_ledger()
    {
        await using (var first = await _test.ReopenAsync())
        {
            var history = new LedgerChatHistoryProvider(first);
            var agent = Fox(CountingModel(), history);
            var session = await agent.CreateSessionAsync(Ct);
            history.UseConversation(session, "conv-fox");
            Assert.Equal("I was given 1 messages, the last: hello", (await agent.RunAsync("hello", session, cancellationToken: Ct)).Text);
            Assert.Equal("I was given 3 messages, the last: where is the lantern?", (await agent.RunAsync("where is the lantern?", session, cancellationToken: Ct)).Text);
        }

        // A new process: nothing survives but the file.
        await using var second = await _test.ReopenAsync();
        var restartedHistory = new LedgerChatHistoryProvider(second);
        var restarted = Fox(CountingModel(), restartedHistory);
        var resumed = await restarted.CreateSessionAsync(Ct);
        restartedHistory.UseConversation(resumed, "conv-fox");

        var answer = await restarted.RunAsync("still there?", resumed, cancellationToken: Ct);

        Assert.Equal("I was given 5 messages, the last: still there?", answer.Text);
        var messages = await _test.EventsAsync(LedgerChatHistoryProvider.MessageKind);
        Assert.Equal(6, messages.Count);
        Assert.All(messages, m => Assert.Equal("conv-fox", m.SessionId));
        Assert.Equal(["user", "fox", "user", "fox", "user", "fox"], messages.Select(m => m.Actor));
        Assert.Equal([0, 1, 2, 3, 4, 5], messages.Select(m => m.At("index").GetInt32()));
    }

    [Fact]
    public async Task A_serialised_session_resumes_the_same_conversation_in_a_new_agent()
    {
        System.Text.Json.JsonElement saved;
        await using (var first = await _test.ReopenAsync())
        {
            var agent = Fox(CountingModel(), new LedgerChatHistoryProvider(first));
            var session = await agent.CreateSessionAsync(Ct);
            await agent.RunAsync("one", session, cancellationToken: Ct);
            saved = await agent.SerializeSessionAsync(session, cancellationToken: Ct);
        }

        Assert.DoesNotContain("one", saved.GetRawText(), StringComparison.Ordinal);
        await using var second = await _test.ReopenAsync();
        var restarted = Fox(CountingModel(), new LedgerChatHistoryProvider(second));
        var resumed = await restarted.DeserializeSessionAsync(saved, cancellationToken: Ct);

        Assert.Equal("I was given 3 messages, the last: two", (await restarted.RunAsync("two", resumed, cancellationToken: Ct)).Text);
    }

    [Fact]
    public async Task Agent_middleware_records_each_invocation_with_the_agent_name_as_actor_of_it_and_of_its_model_calls()
    {
        var model = CountingModel().AsBuilder().UseAgentLedger(_test.Ledger).Build();
        var inner = new ChatClientAgent(model, new ChatClientAgentOptions { Name = "owl" });
        var agent = new AIAgentBuilder(inner).UseAgentLedger(_test.Ledger).Build();
        await using (var run = await _test.Ledger.BeginRunAsync("agents-run", cancellationToken: Ct))
        {
            using (run.Turn(2, modelProfile: "deep"))
            {
                await agent.RunAsync("hoot?", cancellationToken: Ct);
                await foreach (var update in agent.RunStreamingAsync("hoot again?", cancellationToken: Ct))
                {
                }
            }
        }

        var events = (await _test.EventsAsync()).Where(e => e.Kind is not ("run.started" or "run.finished")).ToList();
        Assert.Equal(["model.responded", "agent.responded", "model.responded", "agent.responded"], events.Select(e => e.Kind));
        Assert.All(events, e => Assert.Equal(("agents-run", 2, "owl", "deep"), (e.RunId, e.Turn, e.Actor, e.ModelProfile)));
        Assert.Equal("I was given 1 messages, the last: hoot?", events[1].At("text").GetString());
        Assert.True(events[2].At("streaming").GetBoolean());
        Assert.Equal(0, TokenUsage.Of(events[1]));
        Assert.True(events[1].At("model_usage", "total_tokens").GetInt64() > 0);
        Assert.Equal(2, events.Select(e => e.Id).Where((_, i) => i % 2 == 1).Distinct().Count());
    }

    [Fact]
    public async Task An_agent_invocation_that_fails_is_recorded_as_failed()
    {
        var inner = new ChatClientAgent(new FakeChatClient(new FakeStep("x") { Throws = new HttpRequestException("down") }), new ChatClientAgentOptions { Name = "badger" });
        var agent = new AIAgentBuilder(inner).UseAgentLedger(_test.Ledger, o => o.RunId = "lonely").Build();

        await Assert.ThrowsAsync<HttpRequestException>(() => agent.RunAsync("dig", cancellationToken: Ct));

        var failed = await _test.SingleAsync("agent.failed");
        Assert.Equal(("lonely", "badger"), (failed.RunId, failed.Actor));
        Assert.Equal(typeof(HttpRequestException).FullName, failed.At("error", "type").GetString());
    }
}
