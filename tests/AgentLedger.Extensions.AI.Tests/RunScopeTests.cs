using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace AgentLedger.Extensions.AI.Tests;

/// <summary>The ambient run: bookends, turns, nesting, concurrent agents, DI.</summary>
public sealed class RunScopeTests : IAsyncLifetime
{
    private TestLedger _test = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _test = await TestLedger.OpenAsync();

    public async ValueTask DisposeAsync() => await _test.DisposeAsync();

    [Fact]
    public async Task A_run_appends_started_and_finished_with_the_outcome_and_the_token_total()
    {
        var client = new FakeChatClient(new FakeStep("ok", Input: 30, Output: 12)).AsBuilder().UseAgentLedger(_test.Ledger).Build();
        await using (var run = await _test.Ledger.BeginRunAsync("run-42", new LedgerRunOptions { SessionId = "s-1", Details = new() { ["goal"] = "count" } }, Ct))
        {
            Assert.Same(run, LedgerRun.Current);
            using (run.Turn(1, "fox"))
            {
                await client.GetResponseAsync("a", cancellationToken: Ct);
            }

            using (run.Turn(2, "fox"))
            {
                await client.GetResponseAsync("b", cancellationToken: Ct);
            }

            Assert.Equal(84, run.Tokens);
        }

        Assert.Null(LedgerRun.Current);
        var summary = await RunSummary.SummarizeAsync(_test.Ledger, "run-42", Ct);
        Assert.True(summary.IsFinished);
        Assert.Equal(("count", "s-1", 84L, 2), (summary.Goal, summary.SessionId, summary.Tokens, summary.Turns));
        var finished = await _test.SingleAsync("run.finished");
        Assert.Equal("completed", finished.At("outcome").GetString());
        Assert.Equal(2, finished.Turn);
        Assert.All(await _test.EventsAsync(), e => Assert.Equal("s-1", e.SessionId));
    }

    [Fact]
    public async Task Finishing_explicitly_records_the_given_outcome_once()
    {
        await using var run = await _test.Ledger.BeginRunAsync("run-f", cancellationToken: Ct);
        await run.FinishAsync("failed", new() { ["reason"] = "budget" }, Ct);
        await run.DisposeAsync();

        var finished = await _test.SingleAsync("run.finished");
        Assert.Equal(("failed", "budget"), (finished.At("outcome").GetString(), finished.At("reason").GetString()));
    }

    [Fact]
    public async Task Nested_scopes_inherit_what_they_do_not_name_and_restore_the_enclosing_one()
    {
        var client = new FakeChatClient(new FakeStep("ok")).AsBuilder().UseAgentLedger(_test.Ledger).Build();
        await using var run = await _test.Ledger.BeginRunAsync("nest", cancellationToken: Ct);
        using (run.Turn(1, "fox", "fast"))
        {
            using (run.Turn(2))
            {
                await client.GetResponseAsync("inner", cancellationToken: Ct);
            }

            Assert.Equal(1, LedgerScope.Current!.Turn);
            await client.GetResponseAsync("outer", cancellationToken: Ct);
        }

        Assert.Equal("engine", LedgerScope.Current!.Actor);
        var events = await _test.EventsAsync("model.responded");
        Assert.Equal([(2, "fox", "fast"), (1, "fox", "fast")], events.Select(e => (e.Turn, e.Actor, e.ModelProfile!)));
    }

    [Fact]
    public async Task Fifty_concurrent_agents_each_record_under_their_own_actor()
    {
        var model = new FakeChatClient(new FakeStep("ok", Input: 7, Output: 3)) { Delay = TimeSpan.FromMilliseconds(2) };
        var client = model.AsBuilder().UseAgentLedger(_test.Ledger).Build();
        await using (var run = await _test.Ledger.BeginRunAsync("crowd", cancellationToken: Ct))
        {
            await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
            {
                using (run.Turn(1, $"agent-{i:D2}", i % 2 == 0 ? "fast" : "deep"))
                {
                    await Task.Yield();
                    await client.GetResponseAsync($"I am agent {i}", cancellationToken: Ct);
                    await client.GetResponseAsync($"again, agent {i}", cancellationToken: Ct);
                }
            }));
        }

        var events = await _test.EventsAsync("model.responded");
        Assert.Equal(100, events.Count);
        Assert.Equal(100, events.Select(e => e.Id).Distinct().Count());
        Assert.All(events, e =>
        {
            var i = int.Parse(e.Actor["agent-".Length..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Contains($"agent {i}", e.At("request", "messages")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
            Assert.Equal(i % 2 == 0 ? "fast" : "deep", e.ModelProfile);
        });
        Assert.Equal(1000, (await _test.SingleAsync("run.finished")).At("tokens").GetInt64());
    }

    [Fact]
    public async Task The_builder_resolves_the_ledger_writer_from_DI_when_none_is_given()
    {
        var services = new ServiceCollection();
        services.AddAgentLedger(o => o.Url = ":memory:");
        services.AddChatClient(new FakeChatClient(new FakeStep("from di", "m/di"))).UseAgentLedger(configure: o => o.RunId = "di-run");
        await using var provider = services.BuildServiceProvider();

        await provider.GetRequiredService<IChatClient>().GetResponseAsync("hi", cancellationToken: Ct);

        var reader = provider.GetRequiredService<ILedgerReader>();
        var stored = new List<StoredEvent>();
        await foreach (var e in reader.ReadAsync(EventQuery.All, Ct))
        {
            stored.Add(e);
        }

        Assert.Equal(("di-run", "model.responded", "m/di"), (stored.Single().Event.RunId, stored.Single().Event.Kind, stored.Single().Event.ModelId));
    }

    [Fact]
    public async Task A_run_whose_start_could_not_be_recorded_leaves_no_ambient_scope_behind()
    {
        var closed = await _test.ReopenAsync();
        await closed.DisposeAsync();

        await Assert.ThrowsAnyAsync<Exception>(async () => await closed.BeginRunAsync("never", cancellationToken: Ct));

        Assert.Null(LedgerScope.Current);
    }
}
