using Microsoft.Extensions.AI;
using Xunit;

namespace AgentLedger.Extensions.AI.Tests;

/// <summary>A retried call and a replayed run record duplicates, never second events.</summary>
public sealed class IdempotencyTests : IAsyncLifetime
{
    private TestLedger _test = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _test = await TestLedger.OpenAsync();

    public async ValueTask DisposeAsync() => await _test.DisposeAsync();

    /// <summary>A resilience handler of the usual shape: retries with the very same request objects.</summary>
    private sealed class RetryOnce(IChatClient inner) : DelegatingChatClient(inner)
    {
        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            try
            {
                return await base.GetResponseAsync(messages, options, cancellationToken);
            }
            catch (HttpRequestException)
            {
                return await base.GetResponseAsync(messages, options, cancellationToken);
            }
        }
    }

    [Fact]
    public async Task A_call_retried_after_a_failure_records_the_failed_attempt_and_one_response()
    {
        var model = new FakeChatClient(new FakeStep("x") { Throws = new HttpRequestException("429") }, new FakeStep("fine", Input: 5, Output: 5));
        var client = model.AsBuilder().Use(inner => new RetryOnce(inner)).UseAgentLedger(_test.Ledger).Build();
        await using var run = await _test.Ledger.BeginRunAsync("retry", cancellationToken: Ct);
        using (run.Turn(1, "fox"))
        {
            await client.GetResponseAsync("hello", cancellationToken: Ct);
        }

        var responded = await _test.SingleAsync("model.responded");
        var failed = await _test.SingleAsync("model.failed");
        Assert.Equal(2, responded.At("attempt").GetInt32());
        Assert.NotEqual(failed.Id, responded.Id);
    }

    [Fact]
    public async Task The_same_request_objects_sent_again_after_a_success_are_a_new_call()
    {
        // An agent may ask the same thing twice on purpose (self-consistency): only a retry after a failure is the same call.
        var client = new FakeChatClient(new FakeStep("same")).AsBuilder().UseAgentLedger(_test.Ledger).Build();
        List<ChatMessage> request = [new(ChatRole.User, "hello")];
        var options = new ChatOptions();
        await using var run = await _test.Ledger.BeginRunAsync("resend", cancellationToken: Ct);
        using (run.Turn(1, "fox"))
        {
            await client.GetResponseAsync(request, options, Ct);
            await client.GetResponseAsync(request, options, Ct);
        }

        Assert.Equal(2, (await _test.EventsAsync("model.responded")).Select(e => e.Id).Distinct().Count());
    }

    [Fact]
    public async Task A_retry_after_a_timeout_that_cancelled_the_call_records_one_response()
    {
        var model = new FakeChatClient(new FakeStep("x") { WaitsForCancellation = true }, new FakeStep("in time"));
        var client = model.AsBuilder().Use(inner => new RetryOnTimeout(inner)).UseAgentLedger(_test.Ledger).Build();
        await using var run = await _test.Ledger.BeginRunAsync("timeout", cancellationToken: Ct);
        using (run.Turn(1, "owl"))
        {
            Assert.Equal("in time", (await client.GetResponseAsync("hello", cancellationToken: Ct)).Text);
        }

        Assert.True((await _test.SingleAsync("model.failed")).At("cancelled").GetBoolean());
        Assert.Equal(2, (await _test.SingleAsync("model.responded")).At("attempt").GetInt32());
    }

    /// <summary>A timeout policy of the usual shape: cancels a slow attempt and tries again with the same request.</summary>
    private sealed class RetryOnTimeout(IChatClient inner) : DelegatingChatClient(inner)
    {
        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromMilliseconds(30));
            try
            {
                return await base.GetResponseAsync(messages, options, timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return await base.GetResponseAsync(messages, options, cancellationToken);
            }
        }
    }

    [Fact]
    public async Task A_run_replayed_by_a_restarted_process_appends_nothing_new()
    {
        async Task RecordAsync(ILedger ledger)
        {
            // Everything process-side is made afresh: the clock, the model, the pipeline, the run.
            var clock = new SimulatedClock(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
            var client = new OfflineChatClient("offline/m1", r => "seen " + r.Count, seed: 5, clock).AsBuilder()
                .UseAgentLedger(ledger, o => o.TimeProvider = clock).Build();
            await using var run = await ledger.BeginRunAsync("replay", new LedgerRunOptions { TimeProvider = clock }, Ct);
            for (var turn = 1; turn <= 3; turn++)
            {
                foreach (var agent in new[] { "fox", "owl" })
                {
                    using (run.Turn(turn, agent))
                    {
                        await client.GetResponseAsync($"turn {turn}", cancellationToken: Ct);
                        await run.AppendAsync("agent.spoke", new() { ["text"] = $"{agent} done" }, cancellationToken: Ct);
                    }
                }
            }
        }

        await RecordAsync(_test.Ledger);
        var first = await _test.EventsAsync();
        await using (var restarted = await _test.ReopenAsync())
        {
            await RecordAsync(restarted);
        }

        var second = await _test.EventsAsync();
        Assert.Equal(14, first.Count);
        Assert.Equal(first.Select(e => e.Id), second.Select(e => e.Id));
    }
}
