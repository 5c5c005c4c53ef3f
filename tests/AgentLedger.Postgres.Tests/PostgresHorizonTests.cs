using System.Runtime.CompilerServices;
using AgentLedger.Conformance;
using Npgsql;
using Xunit;

namespace AgentLedger.Postgres.Tests;

/// <summary>
/// Writers commit concurrently; a follower must wait at a gap for exactly the writers that can still fill
/// it. Each case is staged, not left to chance: an import holds its transaction open with offsets drawn
/// while a later append commits above them.
/// </summary>
public sealed class PostgresHorizonTests : IAsyncDisposable
{
    private readonly PostgresBackend _backend = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync() => await _backend.DisposeAsync();

    [Fact]
    public async Task A_follower_waits_for_an_open_write_below_a_committed_one_where_a_naive_follower_misses_it()
    {
        await using var writer = await PostgresLedger.OpenAsync(_backend.Url, cancellationToken: Ct);
        await using var exact = await PostgresLedger.OpenAsync(_backend.Url, cancellationToken: Ct);
        await using var naive = await PostgresLedger.OpenAsync(_backend.Url, new PostgresLedgerOptions { NaiveFollow = true }, Ct);
        await using var exactSeen = Collector.Start(exact);
        await using var naiveSeen = Collector.Start(naive);

        // An import draws offsets 1..1000, then stays open; an append commits offset 1001 meanwhile.
        var gate = new TaskCompletionSource();
        var import = writer.ImportAsync(HeldOpen(Batch("slow", 1000), gate.Task, Ct), cancellationToken: Ct).AsTask();
        await WaitUntilAsync(async () => await HolderCountAsync(writer) > 0);
        await WaitUntilAsync(async () => await DrawnAsync() >= 1000);
        var fast = await writer.AppendAsync(TestEvents.Make("fast", id: "fast-1"), Ct);
        Assert.True(fast.Offset > 1000, $"the append should commit above the open import's offsets, got {fast.Offset}");

        // The exact follower must not pass offset 1000 while the import can still commit below the append.
        await WaitUntilAsync(() => Task.FromResult(naiveSeen.Count == 1));
        await Task.Delay(300, Ct);
        Assert.Equal(0, exactSeen.Count);

        gate.SetResult();
        var imported = await import;
        Assert.Equal(1000, imported.Appended);
        await writer.AppendAsync(TestEvents.Make("end", id: "sentinel"), Ct);

        var stored = await writer.ReadAsync(EventQuery.All, Ct).ToListAsync(Ct);
        var seen = await exactSeen.UntilAsync("sentinel");
        Assert.Equal(0, Followers.Missed(stored, seen, "sentinel"));
        Assert.Equal(stored.Where(s => s.Event.Id != "sentinel").Select(s => s.Offset), seen.Select(s => s.Offset));

        // The same interleaving, followed up to the latest offset: the import's 1000 events are never seen.
        Assert.Equal(1000, Followers.Missed(stored, await naiveSeen.UntilAsync("sentinel"), "sentinel"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)] // no NOTIFY at all (as behind a pooler): a rollback changes nothing a probe could see
    public async Task A_gap_left_by_a_rolled_back_write_is_passed_once_that_write_has_ended(bool notifications)
    {
        var url = PostgresServer.WithParameters(_backend.Url, $"notifications={notifications}");
        await using var writer = await PostgresLedger.OpenAsync(url, cancellationToken: Ct);
        await using var follower = await PostgresLedger.OpenAsync(url, cancellationToken: Ct);
        await using var seen = Collector.Start(follower);

        var gate = new TaskCompletionSource();
        var failing = writer.ImportAsync(FailAfter(Batch("doomed", 1000), gate.Task, Ct), cancellationToken: Ct).AsTask();
        await WaitUntilAsync(async () => await DrawnAsync() >= 1000);
        var after = await writer.AppendAsync(TestEvents.Make("after", id: "after-1"), Ct);

        await Task.Delay(300, Ct);
        Assert.Equal(0, seen.Count); // the import may still commit below it

        gate.SetResult();
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        await WaitUntilAsync(() => Task.FromResult(seen.Count == 1));
        Assert.Equal(after.Offset, Assert.Single(seen.Snapshot()).Offset);
    }

    [Fact]
    public async Task A_long_unrelated_transaction_does_not_stall_a_follower()
    {
        await using var writer = await PostgresLedger.OpenAsync(_backend.Url, cancellationToken: Ct);
        await using var follower = await PostgresLedger.OpenAsync(_backend.Url, cancellationToken: Ct);

        // Unrelated work in the same database, open throughout: an xid, a snapshot, another advisory lock.
        await using var unrelated = new NpgsqlConnection(PostgresServer.ConnectionString.ConnectionString);
        await unrelated.OpenAsync(Ct);
        await using var transaction = await unrelated.BeginTransactionAsync(Ct);
        await using (var busy = new NpgsqlCommand("SELECT pg_current_xact_id(), pg_advisory_xact_lock_shared(42), pg_advisory_xact_lock(43)", unrelated, transaction))
        {
            await busy.ExecuteNonQueryAsync(Ct);
        }

        // Gaps a rollback left (a failed import) are passed too: nobody holding this ledger's lock can fill them.
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await writer.ImportAsync(FailAfter(Batch("doomed", 10), Task.CompletedTask, Ct), cancellationToken: Ct));
        var follow = Followers.FollowUntilAsync(follower, "sentinel", Ct);
        await writer.AppendAsync(TestEvents.Make("a", id: "a-1"), Ct);
        await writer.AppendAsync(TestEvents.Make("end", id: "sentinel"), Ct);
        var seen = await follow.WaitAsync(TimeSpan.FromSeconds(5), Ct);
        Assert.Equal("a-1", Assert.Single(seen).Event.Id);
        await transaction.RollbackAsync(Ct);
    }

    [Fact]
    public async Task A_statement_past_the_command_timeout_is_reported_as_slow_while_a_batch_has_no_fixed_timeout()
    {
        await using var ledger = await PostgresLedger.OpenAsync(PostgresServer.WithParameters(_backend.Url, "command_timeout=1"), cancellationToken: Ct);

        // Another session holds the append lock exclusively (as a reset would), so appends wait for it.
        await using var blocker = new NpgsqlConnection(PostgresServer.ConnectionString.ConnectionString);
        await blocker.OpenAsync(Ct);
        var transaction = await blocker.BeginTransactionAsync(Ct);
        await using (var hold = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({ledger.AppendLockKey})", blocker, transaction))
        {
            await hold.ExecuteNonQueryAsync(Ct);
        }

        var error = await Assert.ThrowsAsync<LedgerStorageException>(async () => await ledger.AppendAsync(TestEvents.Make("slow", id: "slow-1"), Ct));
        Assert.Equal(LedgerErrorKind.Timeout, error.Kind);
        Assert.Contains("command timeout", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("did not answer", error.Message, StringComparison.Ordinal);

        // A batch waits as long as it must: released after 2 s (twice the command timeout), it completes.
        var batch = ledger.AppendBatchAsync(Batch("bulk", 100), Ct).AsTask();
        await Task.Delay(2000, Ct);
        Assert.False(batch.IsCompleted);
        await transaction.CommitAsync(Ct);
        Assert.All(await batch, r => Assert.True(r.IsAppended));
        Assert.Equal(100, await ledger.CountAsync(Ct));
    }

    /// <summary>A follower in the background whose events so far can be looked at while it runs.</summary>
    private sealed class Collector : IAsyncDisposable
    {
        private readonly List<StoredEvent> _seen = [];
        private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        private Task _running = Task.CompletedTask;

        public int Count
        {
            get
            {
                lock (_seen)
                {
                    return _seen.Count;
                }
            }
        }

        public static Collector Start(PostgresLedger ledger)
        {
            var collector = new Collector();
            collector._running = Task.Run(async () =>
            {
                await foreach (var e in ledger.FollowAsync(EventQuery.All, collector._stop.Token))
                {
                    lock (collector._seen)
                    {
                        collector._seen.Add(e);
                    }
                }
            }, Ct);
            return collector;
        }

        public List<StoredEvent> Snapshot()
        {
            lock (_seen)
            {
                return [.. _seen];
            }
        }

        /// <summary>What it saw before the event <paramref name="sentinelId"/>, once that arrived.</summary>
        public async Task<List<StoredEvent>> UntilAsync(string sentinelId)
        {
            await WaitUntilAsync(() => Task.FromResult(Snapshot().Any(e => e.Event.Id == sentinelId)));
            return [.. Snapshot().TakeWhile(e => e.Event.Id != sentinelId)];
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _running.ContinueWith(_ => { }, TaskScheduler.Default);
            _stop.Dispose();
        }
    }

    private static IEnumerable<LedgerEvent> Batch(string run, int count)
        => Enumerable.Range(0, count).Select(t => TestEvents.Make(run, t, id: $"{run}-{t}"));

    /// <summary>Yields the events, then waits for the gate before ending (the import commits at the end).</summary>
    private static async IAsyncEnumerable<LedgerEvent> HeldOpen(IEnumerable<LedgerEvent> events, Task gate, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var e in events)
        {
            yield return e;
        }

        await gate.WaitAsync(cancellationToken);
    }

    private static async IAsyncEnumerable<LedgerEvent> FailAfter(IEnumerable<LedgerEvent> events, Task gate, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var e in HeldOpen(events, gate, cancellationToken))
        {
            yield return e;
        }

        throw new InvalidOperationException("the source failed: the import rolls back");
    }

    /// <summary>Offsets drawn so far, committed or not (the sequence is not transactional).</summary>
    private async Task<long> DrawnAsync()
        => await PostgresServer.ScalarAsync<long>($"SELECT last_value FROM {_backend.SchemaName}.events_offset_seq", Ct);

    private static async Task<long> HolderCountAsync(PostgresLedger ledger)
        => await PostgresServer.ScalarAsync<long>(
            $"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND classid::bigint = {(uint)(ledger.AppendLockKey >>> 32)} AND objid::bigint = {(uint)ledger.AppendLockKey}", Ct);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the staged interleaving");
            await Task.Delay(10, Ct);
        }
    }
}
