using Microsoft.Extensions.AI;
using Xunit;

namespace AgentLedger.Extensions.AI.Tests;

/// <summary>Write-behind: the call does not wait for the commit, and nothing queued is lost by a finished run.</summary>
public sealed class WriteBehindTests : IAsyncLifetime
{
    private TestLedger _test = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _test = await TestLedger.OpenAsync();

    public async ValueTask DisposeAsync() => await _test.DisposeAsync();

    [Fact]
    public async Task Finishing_the_run_writes_every_queued_event_before_run_finished_with_their_tokens()
    {
        var client = new FakeChatClient(new FakeStep("ok", Input: 4, Output: 1)).AsBuilder().UseAgentLedger(_test.Ledger, o => o.WriteBehind = true).Build();
        await using (var run = await _test.Ledger.BeginRunAsync("behind", cancellationToken: Ct))
        {
            await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
            {
                using (run.Turn(1, $"a{i}"))
                {
                    for (var call = 0; call < 10; call++)
                    {
                        await client.GetResponseAsync($"call {call}", cancellationToken: Ct);
                    }
                }
            }));
        }

        var events = await _test.EventsAsync();
        Assert.Equal(200, events.Count(e => e.Kind == "model.responded"));
        Assert.Equal("run.finished", events[^1].Kind);
        Assert.Equal(1000, events[^1].At("tokens").GetInt64());
    }

    [Fact]
    public async Task Flush_waits_for_the_queued_events_outside_any_run()
    {
        var client = new FakeChatClient(new FakeStep("ok")).AsBuilder().UseAgentLedger(_test.Ledger, o => { o.WriteBehind = true; o.RunId = "loose"; }).Build();
        for (var i = 0; i < 50; i++)
        {
            await client.GetResponseAsync($"q{i}", cancellationToken: Ct);
        }

        await client.GetRequiredService<LedgerChatClient>().FlushAsync(Ct);

        Assert.Equal(50, (await _test.EventsAsync("model.responded")).Count);
    }

    [Fact]
    public async Task A_failed_background_append_is_thrown_by_the_flush_and_by_the_next_call()
    {
        var gone = await _test.ReopenAsync();
        var client = new FakeChatClient(new FakeStep("ok")).AsBuilder().UseAgentLedger(gone, o => { o.WriteBehind = true; o.RunId = "lost"; }).Build();
        await gone.DisposeAsync();

        await client.GetResponseAsync("queued, then refused by a closed ledger", cancellationToken: Ct);

        var flush = await Assert.ThrowsAsync<InvalidOperationException>(async () => await client.GetRequiredService<LedgerChatClient>().FlushAsync(Ct));
        Assert.Contains("were not recorded", flush.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetResponseAsync("next", cancellationToken: Ct));
        Assert.Empty(await _test.EventsAsync("model.responded"));
    }
}
