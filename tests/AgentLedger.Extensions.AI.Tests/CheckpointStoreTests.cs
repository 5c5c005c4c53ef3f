using AgentLedger.Agents;
using Microsoft.Agents.AI.Workflows;
using Xunit;

namespace AgentLedger.Extensions.AI.Tests;

/// <summary>Workflow checkpoints as ledger events: a workflow stopped mid-way resumes from the ledger alone.</summary>
public sealed class CheckpointStoreTests : IAsyncLifetime
{
    private TestLedger _test = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _test = await TestLedger.OpenAsync();

    public async ValueTask DisposeAsync() => await _test.DisposeAsync();

    // Three supersteps: +1, x10, then the text; each step is checkpointed. A crashing pipeline dies in the second.
    private static Workflow Pipeline(List<string> ran, bool crashes = false)
    {
        var add = new Func<int, int>(x => { ran.Add("add"); return x + 1; }).BindAsExecutor("add");
        var times = new Func<int, int>(x =>
        {
            ran.Add("times");
            return crashes ? throw new InvalidOperationException("the process dies here") : x * 10;
        }).BindAsExecutor("times");
        var show = new Func<int, string>(x => { ran.Add("show"); return $"result {x}"; }).BindAsExecutor("show");
        return new WorkflowBuilder(add).AddEdge(add, times).AddEdge(times, show).WithOutputFrom(show).Build();
    }

    [Fact]
    public async Task A_workflow_that_crashed_after_its_first_checkpoint_resumes_from_the_ledger_alone()
    {
        var firstRan = new List<string>();
        CheckpointInfo? taken = null;
        await using (var first = await _test.ReopenAsync())
        {
            var manager = CheckpointManager.CreateJson(new LedgerCheckpointStore(first));
            await using var run = await InProcessExecution.RunStreamingAsync(Pipeline(firstRan, crashes: true), 1, manager, "wf-1", Ct);
            await foreach (var evt in run.WatchStreamAsync(Ct))
            {
                if (evt is SuperStepCompletedEvent { CompletionInfo.Checkpoint: { } checkpoint })
                {
                    taken = checkpoint;
                }

                if (evt is ExecutorFailedEvent or WorkflowErrorEvent)
                {
                    break;
                }
            }
        }

        Assert.NotNull(taken);
        Assert.Equal(["add", "times"], firstRan);

        await using var second = await _test.ReopenAsync();
        var store = new LedgerCheckpointStore(second);
        var index = (await store.RetrieveIndexAsync("wf-1")).ToList();
        Assert.Equal(taken, index[^1]);
        var resumedRan = new List<string>();
        var resumedManager = CheckpointManager.CreateJson(store);
        await using var resumed = await InProcessExecution.ResumeStreamingAsync(Pipeline(resumedRan), index[^1], resumedManager, Ct);
        string? output = null;
        await foreach (var evt in resumed.WatchStreamAsync(Ct))
        {
            if (evt is WorkflowOutputEvent produced)
            {
                output = produced.As<string>();
            }
        }

        Assert.Equal("result 20", output);
        Assert.Equal(["times", "show"], resumedRan);
    }

    [Fact]
    public async Task The_index_links_checkpoints_to_their_parents()
    {
        var store = new LedgerCheckpointStore(_test.Ledger);
        using var doc = System.Text.Json.JsonDocument.Parse("""{"step":1}""");
        var root = await store.CreateCheckpointAsync("wf-2", doc.RootElement);
        using var next = System.Text.Json.JsonDocument.Parse("""{"step":2}""");
        var child = await store.CreateCheckpointAsync("wf-2", next.RootElement, root);
        var again = await store.CreateCheckpointAsync("wf-2", next.RootElement, root);

        Assert.Equal(child, again);
        Assert.Equal([root, child], await store.RetrieveIndexAsync("wf-2"));
        Assert.Equal([child], await store.RetrieveIndexAsync("wf-2", root));
        Assert.Equal(2, (await store.RetrieveCheckpointAsync("wf-2", child)).GetProperty("step").GetInt32());
        await Assert.ThrowsAsync<KeyNotFoundException>(async () => await store.RetrieveCheckpointAsync("wf-2", new CheckpointInfo("wf-2", "nope")));
        Assert.Equal(2, (await _test.EventsAsync(LedgerCheckpointStore.CheckpointKind)).Count);
    }
}
