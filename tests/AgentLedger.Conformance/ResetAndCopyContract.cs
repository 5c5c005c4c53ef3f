using Xunit;

namespace AgentLedger.Conformance;

/// <summary>Reset (destructive) and copy (snapshot into another ledger, offsets kept).</summary>
public abstract class ResetAndCopyContract<TBackend> : LedgerTestBase<TBackend>
    where TBackend : ILedgerBackend, new()
{
    [Fact]
    public async Task Reset_deletes_every_event_of_every_run_and_allows_the_same_id_again()
    {
        await AppendManyAsync(3, run: "a");
        await AppendManyAsync(2, run: "b", prefix: "b");

        await Ledger.ResetAsync(Ct);

        Assert.Equal(0, await Ledger.CountAsync(Ct));
        Assert.Equal(0, await Ledger.LatestOffsetAsync(Ct));
        Assert.Empty(await ListRunsAsync());
        var again = await Ledger.AppendAsync(TestEvents.Make("c", id: "e-0"), Ct);
        Assert.Equal(AppendOutcome.Appended, again.Outcome);
        Assert.Equal(["c"], await ListRunsAsync());
    }

    [Fact]
    public async Task Copy_into_an_empty_ledger_preserves_offsets_and_every_field()
    {
        await AppendManyAsync(3, run: "a");
        await Ledger.AppendAsync(TestEvents.Make("gone", id: "dup"), Ct);
        await Ledger.AppendBatchAsync([TestEvents.Make("b", 1, id: "b1", payload: """{"big":123456789012345678901234567890,"t":"é"}"""), TestEvents.Make("a", 9, id: "a9", session: null, modelId: null, modelProfile: null)], Ct);
        await using var memory = new InMemoryLedger();

        var report = await LedgerCopy.CopyAsync(Ledger, memory, verify: true, cancellationToken: Ct);

        Assert.Equal(6, report.Copied);
        Assert.True(report.Verified, $"{report.SourceDigest} != {report.DestinationDigest}");
        var source = await ReadAllAsync();
        var copy = await ReadAllAsync(ledger: memory);
        Assert.Equal(source.Select(s => s.Offset), copy.Select(s => s.Offset));
        foreach (var (expected, actual) in source.Zip(copy))
        {
            TestEvents.AssertSameEvent(expected.Event, actual.Event);
        }
    }

    [Fact]
    public async Task Copy_from_another_ledger_keeps_gaps_in_offsets_and_continues_after_them()
    {
        await using var source = new InMemoryLedger();
        await source.AppendAsync(TestEvents.Make("a", id: "1"), Ct);
        await source.RestoreAsync(TestEvents.Stream(new StoredEvent(10, TestEvents.Make("b", id: "10")), new StoredEvent(12, TestEvents.Make("a", 1, id: "12"))), cancellationToken: Ct);

        var report = await LedgerCopy.CopyAsync(source, Ledger, verify: true, cancellationToken: Ct);

        Assert.True(report.Verified);
        Assert.Equal([1L, 10, 12], (await ReadAllAsync()).Select(s => s.Offset));
        Assert.Equal(["a", "b"], await ListRunsAsync());
        Assert.Equal(13, (await Ledger.AppendAsync(TestEvents.Make("c", id: "next"), Ct)).Offset);
    }

    [Fact]
    public async Task Copy_refuses_a_destination_that_holds_events_unless_merging()
    {
        await AppendManyAsync(2);
        await using var destination = new InMemoryLedger();
        await destination.AppendAsync(TestEvents.Make(id: "e-0"), Ct);

        await Assert.ThrowsAsync<DestinationNotEmptyException>(() => LedgerCopy.CopyAsync(Ledger, destination, cancellationToken: Ct));
        Assert.Equal(1, await destination.CountAsync(Ct));

        var merged = await LedgerCopy.CopyAsync(Ledger, destination, CopyMode.Merge, cancellationToken: Ct);
        Assert.Equal((1, 1), (merged.Copied, merged.Duplicates));
        Assert.Equal(2, await destination.CountAsync(Ct));
    }

    [Fact]
    public async Task Restore_rejects_offsets_at_or_below_the_latest_and_writes_nothing()
    {
        await AppendManyAsync(3);

        var error = await Assert.ThrowsAsync<RestoreConflictException>(async () =>
            await Ledger.RestoreAsync(TestEvents.Stream(new StoredEvent(4, TestEvents.Make(id: "ok")), new StoredEvent(2, TestEvents.Make(id: "low"))), cancellationToken: Ct));

        Assert.Equal((2L, "low"), (error.Offset, error.Id));
        Assert.Equal(3, await Ledger.CountAsync(Ct));
    }

    [Fact]
    public async Task Restore_of_an_id_already_stored_names_it_and_writes_nothing()
    {
        await AppendManyAsync(3);

        var error = await Assert.ThrowsAsync<RestoreConflictException>(async () =>
            await Ledger.RestoreAsync(TestEvents.Stream(new StoredEvent(10, TestEvents.Make(id: "new")), new StoredEvent(11, TestEvents.Make(id: "e-1"))), cancellationToken: Ct));

        Assert.Equal((11L, "e-1"), (error.Offset, error.Id));
        Assert.Equal(3, await Ledger.CountAsync(Ct));
        Assert.Equal(3, await Ledger.LatestOffsetAsync(Ct));
    }

    [Fact]
    public async Task Restore_that_fails_after_a_thousand_events_leaves_the_destination_as_it_was()
    {
        static async IAsyncEnumerable<StoredEvent> ThenFail()
        {
            for (var i = 1; i <= 2500; i++)
            {
                yield return new StoredEvent(i, TestEvents.Make(id: $"r-{i}"));
            }

            await Task.Yield();
            throw new IOException("the source went away");
        }

        await Assert.ThrowsAsync<IOException>(async () => await Ledger.RestoreAsync(ThenFail(), cancellationToken: Ct));

        Assert.Equal(0, await Ledger.CountAsync(Ct));
        Assert.Equal(1, (await Ledger.AppendAsync(TestEvents.Make(id: "after"), Ct)).Offset);
    }

    [Fact]
    public async Task Copy_digests_cover_exactly_the_prefix_copied_while_the_source_grows()
    {
        await AppendManyAsync(50);
        await using var destination = new InMemoryLedger();
        var writer = Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                await Ledger.AppendAsync(TestEvents.Make("live", i, id: $"live-{i}"), Ct);
            }
        }, Ct);

        var report = await LedgerCopy.CopyAsync(Ledger, destination, verify: true, cancellationToken: Ct);
        await writer;

        Assert.True(report.Verified, $"{report.SourceDigest} != {report.DestinationDigest}");
        Assert.Equal(report.Copied, report.SourceDigest!.Count);
    }
}
