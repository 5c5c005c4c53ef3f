using Microsoft.Extensions.AI;
using Xunit;

namespace AgentLedger.Extensions.AI.Tests;

/// <summary>ReplayRecorded: a run resumed after a restart gets its recorded answers back instead of calling the model.</summary>
public sealed class ReplayTests : IAsyncLifetime
{
    private TestLedger _test = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _test = await TestLedger.OpenAsync();

    public async ValueTask DisposeAsync() => await _test.DisposeAsync();

    // Each process's model answers differently: a real model is not deterministic. A process that "crashes"
    // never finishes its run.
    private static async Task<List<string>> AgentAsync(ILedger ledger, FakeChatClient model, int calls, bool replay, bool crashes)
    {
        var client = model.AsBuilder().UseAgentLedger(ledger, o => o.ReplayRecorded = replay).Build();
        var answers = new List<string>();
        var run = await ledger.BeginRunAsync("resumable", cancellationToken: Ct);
        using (run.Turn(1, "fox"))
        {
            for (var i = 0; i < calls; i++)
            {
                List<ChatMessage> chat = [new(ChatRole.User, $"step {i}")];
                answers.Add(i == 1
                    ? (await client.GetStreamingResponseAsync(chat, cancellationToken: Ct).ToChatResponseAsync(Ct)).Text
                    : (await client.GetResponseAsync(chat, cancellationToken: Ct)).Text);
            }
        }

        if (!crashes)
        {
            await run.DisposeAsync();
        }

        return answers;
    }

    [Fact]
    public async Task A_restarted_run_gets_its_recorded_answers_back_and_only_new_calls_reach_the_model()
    {
        List<string> before;
        await using (var first = await _test.ReopenAsync())
        {
            before = await AgentAsync(first, new FakeChatClient(new FakeStep("first-process answer", Input: 11, Output: 2)), calls: 3, replay: false, crashes: true);
        }

        await using var second = await _test.ReopenAsync();
        var model = new FakeChatClient(new FakeStep("second-process answer", Input: 13, Output: 3));
        var after = await AgentAsync(second, model, calls: 4, replay: true, crashes: false);

        Assert.Equal([.. before, "second-process answer"], after);
        Assert.Single(model.Requests);
        var responded = await _test.EventsAsync("model.responded");
        Assert.Equal(["first-process answer", "first-process answer", "first-process answer", "second-process answer"], responded.Select(e => e.At("text").GetString()));
        Assert.Equal((3 * 13) + 16, (await _test.SingleAsync("run.finished")).At("tokens").GetInt64());
    }

    [Fact]
    public async Task Without_replay_a_restarted_run_calls_the_model_again_and_the_first_answers_stand()
    {
        await using (var first = await _test.ReopenAsync())
        {
            await AgentAsync(first, new FakeChatClient(new FakeStep("first-process answer")), calls: 2, replay: false, crashes: true);
        }

        await using var second = await _test.ReopenAsync();
        var model = new FakeChatClient(new FakeStep("second-process answer"));
        var after = await AgentAsync(second, model, calls: 2, replay: false, crashes: false);

        Assert.Equal(["second-process answer", "second-process answer"], after);
        Assert.Equal(2, model.Requests.Count);
        Assert.All(await _test.EventsAsync("model.responded"), e => Assert.Equal("first-process answer", e.At("text").GetString()));
    }
}
