using AgentLedger.Storage;
using CsCheck;
using Xunit;

namespace AgentLedger.Conformance;

/// <summary>Backward reads, streamed imports, whole-batch checks, every envelope field, and the error types.</summary>
public abstract class RolesContract<TBackend> : LedgerTestBase<TBackend>
    where TBackend : ILedgerBackend, new()
{
    [Fact]
    public async Task Every_public_property_of_the_envelope_round_trips()
    {
        var original = TestEvents.EveryFieldSet();
        await Ledger.AppendAsync(original, Ct);
        await Ledger.AppendBatchAsync([TestEvents.EveryFieldSet("every-field-batch")], Ct);

        var stored = await ReadAllAsync();

        TestEvents.AssertSameEvent(original, stored[0].Event);
        Assert.Equal("every-field-batch", stored[1].Event.Id);

        // Every property but the id and the parsed payload is a stored column: a new field must join the column map.
        Assert.Equal(EnvelopeColumns.Envelope.Count, TestEvents.EnvelopeProperties.Count);
    }

    [Fact]
    public async Task Any_envelope_that_validates_round_trips_every_field()
        => await Generators.Event.SampleAsync(async original =>
        {
            var appended = await Ledger.AppendAsync(original, Ct);
            Assert.Equal(AppendOutcome.Appended, appended.Outcome);
            var stored = Assert.Single(await ReadAllAsync(new EventQuery { After = appended.Offset - 1, Limit = 1 }));
            TestEvents.AssertSameEvent(original, stored.Event);
            Assert.Equal(AppendOutcome.Duplicate, (await Ledger.AppendAsync(original, Ct)).Outcome);
        }, iter: Generators.Iterations(400), threads: 1);

    [Fact]
    public async Task Read_backward_gives_the_last_events_newest_first()
    {
        await AppendManyAsync(5, run: "a");
        await AppendManyAsync(3, run: "b", prefix: "b");

        var last3 = await ReadBackwardAsync(EventQuery.Last(3));
        var runA = await ReadBackwardAsync(new EventQuery { RunId = "a" });
        var window = await ReadBackwardAsync(new EventQuery { After = 2, UpTo = 6, Limit = 10 });

        Assert.Equal([8L, 7, 6], last3.Select(e => e.Offset));
        Assert.Equal([5L, 4, 3, 2, 1], runA.Select(e => e.Offset));
        Assert.Equal([6L, 5, 4, 3], window.Select(e => e.Offset));
        Assert.Empty(await ReadBackwardAsync(EventQuery.Last(0)));
    }

    [Fact]
    public async Task Read_backward_of_the_last_events_of_a_run_skips_the_other_runs()
    {
        await AppendManyAsync(3, run: "a");
        await AppendManyAsync(300, run: "b", prefix: "b");

        var lastOfA = await ReadBackwardAsync(new EventQuery { RunId = "a", Limit = 2 });

        Assert.Equal([3L, 2], lastOfA.Select(e => e.Offset));
    }

    [Fact]
    public async Task A_batch_with_a_null_entry_is_refused_whole_with_an_argument_exception()
    {
        var batch = new[] { TestEvents.Make(id: "a"), TestEvents.Make(id: "b"), null!, TestEvents.Make(id: "c") };

        await Assert.ThrowsAsync<ArgumentException>(async () => await Ledger.AppendBatchAsync(batch, Ct));

        Assert.Equal(0, await Ledger.CountAsync(Ct));
    }

    [Fact]
    public async Task Import_streams_any_number_of_events_and_counts_duplicates_and_conflicts()
    {
        await Ledger.AppendAsync(TestEvents.Make(id: "known"), Ct);
        await Ledger.AppendAsync(TestEvents.Make(id: "changed"), Ct);

        async IAsyncEnumerable<LedgerEvent> Events()
        {
            yield return TestEvents.Make(id: "known");
            yield return TestEvents.Make(id: "changed", payload: """{"other":true}""");
            for (var i = 0; i < 2500; i++)
            {
                yield return TestEvents.Make("bulk", i % 50, id: $"bulk-{i}");
            }

            yield return TestEvents.Make(id: "bulk-7");
            await Task.CompletedTask;
        }

        var progress = new List<long>();
        var result = await Ledger.ImportAsync(Events(), new Progress(progress), Ct);

        Assert.Equal(new ImportResult(2500, 1, 2), result);
        Assert.Equal(2502, await Ledger.CountAsync(Ct));
        Assert.Equal(Enumerable.Range(1, 2502).Select(i => (long)i), (await ReadAllAsync()).Select(e => e.Offset));
    }

    [Fact]
    public async Task An_import_that_fails_part_way_writes_nothing_at_all()
    {
        await Ledger.AppendAsync(TestEvents.Make(id: "before"), Ct);

        async IAsyncEnumerable<LedgerEvent> FailAfterMany()
        {
            for (var i = 0; i < 2500; i++)
            {
                yield return TestEvents.Make("bulk", id: $"bulk-{i}");
            }

            await Task.Yield();
            throw new JsonlFormatException(2501, "not JSON");
        }

        await Assert.ThrowsAsync<JsonlFormatException>(async () => await Ledger.ImportAsync(FailAfterMany(), cancellationToken: Ct));

        Assert.Equal(1, await Ledger.CountAsync(Ct));
        Assert.Equal(["run-1"], await ListRunsAsync());

        // A rolled-back offset may be skipped (PostgreSQL sequences), never reused.
        Assert.True((await Ledger.AppendAsync(TestEvents.Make(id: "after"), Ct)).Offset >= 2);
        Assert.Equal(["before", "after"], (await ReadAllAsync()).Select(e => e.Event.Id));
    }

    [Fact]
    public async Task Storage_errors_are_typed_and_abstract_at_the_base()
    {
        Assert.True(typeof(LedgerException).IsAbstract);
        foreach (var type in typeof(LedgerException).Assembly.GetExportedTypes().Where(t => t.IsSubclassOf(typeof(LedgerException))))
        {
            Assert.True(type.IsSealed, $"{type.Name} should be sealed");
        }

        Assert.True(new LedgerStorageException(LedgerErrorKind.Busy, "x", "busy").IsTransient);
        Assert.False(new LedgerStorageException(LedgerErrorKind.ReadOnly, "x", "ro").IsTransient);
        await Ledger.AppendAsync(TestEvents.Make(id: "stored"), Ct);

        await using var readOnly = await Backend.OpenReadOnlyAsync(Ct);
        if (readOnly is not null)
        {
            var refused = await Assert.ThrowsAsync<LedgerStorageException>(async () => await readOnly.AppendAsync(TestEvents.Make(id: "new"), Ct));
            Assert.Equal(LedgerErrorKind.ReadOnly, refused.Kind);
            Assert.Equal(1, await readOnly.CountAsync(Ct));
        }
    }

    [Fact]
    public async Task Disposing_the_ledger_ends_its_waiting_followers_instead_of_leaving_them_hanging()
    {
        await Ledger.AppendAsync(TestEvents.Make(id: "only"), Ct);
        var follower = Task.Run(async () =>
        {
            await foreach (var e in Ledger.FollowAsync(new EventQuery { After = 1 }, Ct))
            {
            }
        }, Ct);
        await Task.Delay(300, Ct); // caught up, waiting

        await Ledger.DisposeAsync();

        Assert.Same(follower, await Task.WhenAny(follower, Task.Delay(TimeSpan.FromSeconds(10), Ct)));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => follower);
    }

    protected async Task<List<StoredEvent>> ReadBackwardAsync(EventQuery query)
    {
        var events = new List<StoredEvent>();
        await foreach (var e in Ledger.ReadBackwardAsync(query, Ct))
        {
            events.Add(e);
        }

        return events;
    }

    private sealed class Progress(List<long> seen) : IProgress<long>
    {
        public void Report(long value) => seen.Add(value);
    }
}
