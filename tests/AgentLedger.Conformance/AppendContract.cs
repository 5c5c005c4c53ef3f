using Xunit;

namespace AgentLedger.Conformance;

/// <summary>Appends: offsets, every field stored, duplicates and conflicts, atomic batches.</summary>
public abstract class AppendContract<TBackend> : LedgerTestBase<TBackend>
    where TBackend : ILedgerBackend, new()
{
    [Fact]
    public async Task Append_stores_every_field_and_reads_it_back()
    {
        var e = new LedgerEvent(
            runId: "run-fields", turn: 7, kind: "clue.found", actor: "owl",
            payload: """{"text":"the lantern","nested":{"list":[1,2.5,"x",null,true]}}""",
            id: "fields-1", createdAt: new DateTimeOffset(2026, 6, 7, 12, 11, 12, 123, 456, TimeSpan.FromHours(2)).AddTicks(7),
            schemaVersion: 3, sessionId: "sess.A_b-9", modelProfile: "deep", modelId: "google/gemma-3-12b");

        var result = await Ledger.AppendAsync(e, Ct);

        Assert.Equal(new AppendResult("fields-1", AppendOutcome.Appended, 1), result);
        var stored = Assert.Single(await ReadAllAsync());
        Assert.Equal(1, stored.Offset);
        TestEvents.AssertSameEvent(e, stored.Event);

        // Stored as UTC, at the microsecond precision every backend holds exactly.
        Assert.Equal(new DateTimeOffset(2026, 6, 7, 10, 11, 12, 123, 456, TimeSpan.Zero), stored.Event.CreatedAt);
    }

    [Fact]
    public async Task Append_assigns_offsets_one_to_n_in_call_order()
    {
        var results = await AppendManyAsync(5);

        Assert.Equal([1L, 2, 3, 4, 5], results.Select(r => r.Offset));
        Assert.All(results, r => Assert.Equal(AppendOutcome.Appended, r.Outcome));
        Assert.Equal(5, await Ledger.LatestOffsetAsync(Ct));
        Assert.Equal(5, await Ledger.CountAsync(Ct));
    }

    [Fact]
    public async Task LatestOffset_and_count_are_zero_when_empty()
    {
        Assert.Equal(0, await Ledger.LatestOffsetAsync(Ct));
        Assert.Equal(0, await Ledger.CountAsync(Ct));
        Assert.Empty(await ReadAllAsync());
        Assert.Empty(await ListRunsAsync());
    }

    [Fact]
    public async Task Append_returns_duplicate_with_the_stored_offset_when_the_same_event_comes_again()
    {
        await AppendManyAsync(2);
        var again = TestEvents.Make("run-1", 0, id: "e-0");

        var result = await Ledger.AppendAsync(again, Ct);

        Assert.Equal(new AppendResult("e-0", AppendOutcome.Duplicate, 1), result);
        Assert.Equal(2, await Ledger.CountAsync(Ct));

        // A duplicate leaves no gap: the next new event takes the next offset.
        Assert.Equal(3, (await Ledger.AppendAsync(TestEvents.Make(id: "next"), Ct)).Offset);
    }

    [Fact]
    public async Task Append_is_a_duplicate_when_only_created_at_or_payload_spacing_differ()
    {
        await Ledger.AppendAsync(TestEvents.Make(id: "same", payload: """{"a":1,"b":[1,2]}"""), Ct);

        var result = await Ledger.AppendAsync(
            TestEvents.Make(id: "same", payload: """{ "a": 1, "b": [1, 2] }""", createdAt: DateTimeOffset.UtcNow), Ct);

        Assert.Equal(AppendOutcome.Duplicate, result.Outcome);
    }

    [Fact]
    public async Task Append_returns_conflict_and_keeps_the_stored_event_when_the_content_differs()
    {
        var original = TestEvents.Make(id: "x", actor: "alice");
        await Ledger.AppendAsync(original, Ct);

        var result = await Ledger.AppendAsync(TestEvents.Make(id: "x", actor: "mallory"), Ct);

        Assert.Equal(new AppendResult("x", AppendOutcome.Conflict, 1), result);
        var stored = Assert.Single(await ReadAllAsync());
        TestEvents.AssertSameEvent(original, stored.Event);
    }

    [Fact]
    public async Task AppendBatch_stores_all_in_order_and_reports_each_outcome()
    {
        await Ledger.AppendAsync(TestEvents.Make(id: "old", turn: 0), Ct);

        var results = await Ledger.AppendBatchAsync(
        [
            TestEvents.Make(id: "b-1", turn: 1),
            TestEvents.Make(id: "old", turn: 0),
            TestEvents.Make(id: "b-2", turn: 2),
            TestEvents.Make(id: "old", turn: 9),
        ], Ct);

        Assert.Equal(
        [
            new AppendResult("b-1", AppendOutcome.Appended, 2),
            new AppendResult("old", AppendOutcome.Duplicate, 1),
            new AppendResult("b-2", AppendOutcome.Appended, 3),
            new AppendResult("old", AppendOutcome.Conflict, 1),
        ], results);
        Assert.Equal(["old", "b-1", "b-2"], (await ReadAllAsync()).Select(s => s.Event.Id));
    }

    [Fact]
    public async Task AppendBatch_treats_a_repeated_id_inside_the_batch_as_duplicate_or_conflict()
    {
        var results = await Ledger.AppendBatchAsync(
        [
            TestEvents.Make(id: "twice", turn: 1),
            TestEvents.Make(id: "twice", turn: 1),
            TestEvents.Make(id: "twice", turn: 2),
        ], Ct);

        Assert.Equal([AppendOutcome.Appended, AppendOutcome.Duplicate, AppendOutcome.Conflict], results.Select(r => r.Outcome));
        Assert.All(results, r => Assert.Equal(1, r.Offset));
        Assert.Equal(1, await Ledger.CountAsync(Ct));
    }

    [Fact]
    public async Task AppendBatch_writes_nothing_when_one_event_of_it_is_invalid()
    {
        await Ledger.AppendAsync(TestEvents.Make(id: "before"), Ct);

        // The third event fails validation while the batch is being enumerated.
        var batch = Enumerable.Range(0, 5).Select(i => TestEvents.Make(id: $"batch-{i}", turn: i, kind: i == 2 ? "Not A Kind" : "agent.spoke"));
        var error = await Assert.ThrowsAsync<InvalidEventException>(async () => await Ledger.AppendBatchAsync(batch, Ct));

        Assert.Equal("kind", error.Field);
        Assert.Equal(["before"], (await ReadAllAsync()).Select(s => s.Event.Id));
        Assert.Equal(1, await Ledger.LatestOffsetAsync(Ct));
    }

    [Fact]
    public async Task AppendBatch_of_nothing_returns_nothing()
    {
        Assert.Empty(await Ledger.AppendBatchAsync([], Ct));
        Assert.Equal(0, await Ledger.CountAsync(Ct));
    }

    [Fact]
    public async Task Append_is_a_duplicate_after_the_store_is_reopened()
    {
        var e = TestEvents.Make(id: "durable");
        await Ledger.AppendAsync(e, Ct);
        await using var reopened = await Backend.ReopenAsync(Ct);
        if (reopened is null)
        {
            Assert.Equal(AppendOutcome.Duplicate, (await Ledger.AppendAsync(e, Ct)).Outcome);
            return;
        }

        Assert.Equal(new AppendResult("durable", AppendOutcome.Duplicate, 1), await reopened.AppendAsync(e, Ct));
        Assert.Equal(AppendOutcome.Conflict, (await reopened.AppendAsync(TestEvents.Make(id: "durable", turn: 5), Ct)).Outcome);
        TestEvents.AssertSameEvent(e, Assert.Single(await ReadAllAsync(ledger: reopened)).Event);
    }

    [Theory]
    [InlineData("""{"text":"naïve café 日本語 😀 \u2028 \u2029 end"}""")]
    [InlineData("""{"big":123456789012345678901234567890,"neg":-9223372036854775809,"tiny":1e-07,"exact":0.1000000000000000055511151231257827}""")]
    [InlineData("""{"nested":{"a":{"b":{"c":[[],{},[{"d":null}]]}}},"empty":""}""")]
    [InlineData("""{"escaped":"\u00e9\ud83d\ude00 \"quoted\" back\\slash\nnewline", "spaced" : [ 1 , 2 ] }""")]
    [InlineData("{}")]
    public async Task Payload_round_trips_exactly(string payload)
    {
        await Ledger.AppendAsync(TestEvents.Make(id: "p", payload: payload), Ct);

        var stored = Assert.Single(await ReadAllAsync());

        Assert.Equal(payload, stored.Event.Payload);
    }

    [Fact]
    public async Task Session_id_that_breaks_the_rule_is_stored_as_null()
    {
        await Ledger.AppendAsync(TestEvents.Make(id: "s1", session: "  ok-1  "), Ct);
        await Ledger.AppendAsync(TestEvents.Make(id: "s2", session: "bad session; drop table"), Ct);

        var stored = await ReadAllAsync();

        Assert.Equal(["ok-1", null], stored.Select(s => s.Event.SessionId));
    }
}
