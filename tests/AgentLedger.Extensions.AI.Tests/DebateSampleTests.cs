using AgentLedger.Agents;
using AgentLedger.Samples.Debate;
using Xunit;

namespace AgentLedger.Extensions.AI.Tests;

/// <summary>The sample, offline: what it records is what the README promises.</summary>
public sealed class DebateSampleTests : IAsyncLifetime
{
    private TestLedger _test = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _test = await TestLedger.OpenAsync();

    public async ValueTask DisposeAsync() => await _test.DisposeAsync();

    [Fact]
    public async Task The_offline_debate_records_a_finished_run_with_each_agents_model_calls_invocations_and_conversation()
    {
        var summary = await Debate.RunAsync(_test.Ledger, "debate-t", OfflineDebaters.ModelFor, rounds: 2, Ct);

        Assert.True(summary.IsFinished);
        Assert.Equal("pro", summary.Winner);
        Assert.Equal(["offline/debater-pro-1", "offline/debater-con-1", "offline/moderator-1"], summary.ModelsUsed);
        var events = await _test.EventsAsync();
        Assert.All(events, e => Assert.Equal("debate-t", e.RunId));
        Assert.Equal(5, events.Count(e => e.Kind == "model.responded"));
        Assert.Equal(5, events.Count(e => e.Kind == "agent.responded"));
        // Each agent's conversation is its own session; the second round saw the first (history from the ledger).
        var pro = events.Where(e => e.Kind == LedgerChatHistoryProvider.MessageKind && e.SessionId == "debate-t.pro").ToList();
        Assert.Equal(4, pro.Count);
        var secondCall = events.Where(e => e.Kind == "model.responded" && e.Actor == "pro").ElementAt(1);
        Assert.Equal(3, secondCall.At("request", "messages").GetArrayLength());
        Assert.Equal(summary.Tokens, events.Sum(TokenUsage.Of));
    }
}
