using System.Diagnostics;
using AgentLedger.Conformance;
using AgentLedger.Sqlite;
using Npgsql;
using Xunit;

namespace AgentLedger.Postgres.Tests;

/// <summary>What only a shared server can do: other processes, the reference's table, faults, wake-ups.</summary>
public sealed class PostgresServerTests : IAsyncDisposable
{
    private readonly PostgresBackend _backend = new();
    private readonly string _folder = Directory.CreateTempSubdirectory("agentledger-pg-test-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        await _backend.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Writer_processes_and_a_follower_lose_nothing_and_double_nothing()
    {
        await using var ledger = await PostgresLedger.OpenAsync(_backend.Url, PostgresServer.Options(), Ct);
        const int perWriter = 250;
        string[] prefixes = ["p1", "p2", "p3", "p4"];
        var follower = Followers.FollowUntilAsync(ledger, "sentinel", Ct);

        var writers = prefixes.Select((p, i) => WriterProcess.Start(_backend.Url, p, perWriter, batchSize: i == 3 ? 10 : 1)).ToList();
        var outputs = await Task.WhenAll(writers.Select(w => WriterProcess.FinishAsync(w, Ct)));
        writers.ForEach(w => w.Dispose());
        await ledger.AppendAsync(TestEvents.Make("end", id: "sentinel"), Ct);
        var seen = await follower;

        Assert.All(outputs, o => Assert.Equal($"appended {perWriter} duplicate 0 conflict 0", o));
        var stored = await ledger.ReadAsync(EventQuery.All, Ct).ToListAsync(Ct);
        var missed = Followers.Missed(stored, seen, "sentinel");
        Assert.True(missed == 0, $"the follower missed {missed} of {stored.Count - 1} events");
        Assert.Equal(perWriter * prefixes.Length, seen.Count);
        Assert.Equal(perWriter * prefixes.Length, seen.Select(s => s.Event.Id).Distinct().Count());
    }

    [Fact]
    public async Task A_table_created_by_the_reference_is_opened_read_widened_and_appended_to()
    {
        var schema = _backend.SchemaName;
        await PostgresServer.ExecuteAsync($$"""
            CREATE SCHEMA {{schema}};
            CREATE TABLE {{schema}}.events (
                "offset" SERIAL NOT NULL, id VARCHAR(64) NOT NULL, run_id VARCHAR NOT NULL, turn INTEGER NOT NULL,
                kind VARCHAR NOT NULL, actor VARCHAR NOT NULL, payload TEXT NOT NULL, created_at TIMESTAMP WITH TIME ZONE NOT NULL,
                schema_version INTEGER NOT NULL, session_id VARCHAR, model_profile VARCHAR, model_id VARCHAR,
                CONSTRAINT events_pkey PRIMARY KEY ("offset"), CONSTRAINT events_id_key UNIQUE (id));
            ALTER SEQUENCE {{schema}}.events_offset_seq AS integer;
            CREATE INDEX ix_events_actor ON {{schema}}.events (actor);
            CREATE INDEX ix_events_kind ON {{schema}}.events (kind);
            CREATE INDEX ix_events_model_id ON {{schema}}.events (model_id);
            CREATE INDEX ix_events_run_id ON {{schema}}.events (run_id);
            CREATE INDEX ix_events_run_offset ON {{schema}}.events (run_id, "offset");
            CREATE INDEX ix_events_session_id ON {{schema}}.events (session_id);
            INSERT INTO {{schema}}.events (id, run_id, turn, kind, actor, payload, created_at, schema_version, session_id)
            VALUES ('ref-1', 'legacy', 0, 'run.started', 'engine', '{"seed": 7, "goal": "caf\u00e9"}', '2026-06-07 10:11:12.123456+00', 1, 's-1');
            """, Ct);

        await using (var ledger = await PostgresLedger.OpenAsync(_backend.Url, cancellationToken: Ct))
        {
            var first = Assert.Single(await ledger.ReadAsync(EventQuery.All, Ct).ToListAsync(Ct));
            Assert.Equal("""{"seed": 7, "goal": "caf\u00e9"}""", first.Event.Payload);
            Assert.Equal(new DateTimeOffset(2026, 6, 7, 10, 11, 12, 123, 456, TimeSpan.Zero), first.Event.CreatedAt);
            Assert.Equal(2, (await ledger.AppendAsync(TestEvents.Make("legacy", 1, id: "ours"), Ct)).Offset);
            Assert.Equal(["legacy"], await ledger.ListRunsAsync(Ct).ToListAsync(Ct));
            Assert.Equal(ledger.Description.MaxKnownSchemaVersion, ledger.Description.SchemaVersion);
        }

        Assert.Equal(PostgresSql.LatestVersion, await PostgresServer.ScalarAsync<int>($"SELECT version FROM {schema}.ledger_schema", Ct));

        Assert.Equal("bigint", await PostgresServer.ScalarAsync<string>(
            $"SELECT data_type::text FROM information_schema.columns WHERE table_schema = '{schema}' AND table_name = 'events' AND column_name = 'offset'", Ct));
        Assert.Equal(2L, await PostgresServer.ScalarAsync<long>(
            $"SELECT count(*) FROM pg_constraint WHERE conrelid = '{schema}.events'::regclass AND conname IN ('events_pkey', 'events_id_key')", Ct));
    }

    [Fact]
    public async Task An_older_reference_table_opened_read_only_is_read_as_it_is_with_missing_columns_as_null()
    {
        // The reference's first layout: 32-bit offset, no session_id / model_profile / model_id.
        var schema = _backend.SchemaName;
        await PostgresServer.ExecuteAsync($$"""
            CREATE SCHEMA {{schema}};
            CREATE TABLE {{schema}}.events (
                "offset" SERIAL PRIMARY KEY, id VARCHAR(64) NOT NULL UNIQUE, run_id VARCHAR NOT NULL, turn INTEGER NOT NULL,
                kind VARCHAR NOT NULL, actor VARCHAR NOT NULL, payload TEXT NOT NULL, created_at TIMESTAMP WITH TIME ZONE NOT NULL,
                schema_version INTEGER NOT NULL DEFAULT 1);
            INSERT INTO {{schema}}.events (id, run_id, turn, kind, actor, payload, created_at) VALUES
                ('a', 'old-run', 0, 'run.started', 'engine', '{}', '2026-06-07 10:00:00+00'),
                ('b', 'old-run', 1, 'agent.spoke', 'fox', '{"text":"hi"}', '2026-06-07 10:00:01+00');
            """, Ct);

        await using (var ledger = await PostgresLedger.OpenAsync(_backend.Url, new PostgresLedgerOptions { ReadOnly = true }, Ct))
        {
            var all = await ledger.ReadAsync(EventQuery.All, Ct).ToListAsync(Ct);
            Assert.Equal(["a", "b"], all.Select(e => e.Event.Id));
            Assert.All(all, e => Assert.True(e.Event.SessionId is null && e.Event.ModelProfile is null && e.Event.ModelId is null));
            Assert.Equal("b", Assert.Single(await ledger.ReadAsync(new EventQuery { Kind = "agent.spoke" }, Ct).ToListAsync(Ct)).Event.Id);
            Assert.Empty(await ledger.ReadAsync(new EventQuery { SessionId = "s-1", ModelId = "m" }, Ct).ToListAsync(Ct));
            Assert.Equal("b", Assert.Single(await ledger.ReadBackwardAsync(new EventQuery { Limit = 1 }, Ct).ToListAsync(Ct)).Event.Id);
            Assert.Equal(["old-run"], await ledger.ListRunsAsync(Ct).ToListAsync(Ct));
            Assert.Equal(2, await ledger.CountAsync(Ct));
            await Assert.ThrowsAsync<LedgerStorageException>(async () => await ledger.AppendAsync(TestEvents.Make("x"), Ct));
        }

        // Read as it is: nothing added to the table, no layout table made.
        Assert.Equal(9L, await PostgresServer.ScalarAsync<long>(
            $"SELECT count(*) FROM information_schema.columns WHERE table_schema = '{schema}' AND table_name = 'events'", Ct));
        Assert.False(await PostgresServer.ScalarAsync<bool>($"SELECT to_regclass('{schema}.ledger_schema') IS NOT NULL", Ct));
    }

    [Fact]
    public async Task Large_batches_racing_over_the_same_ids_store_each_once_with_one_appended_outcome()
    {
        // Batches this large go in by COPY; two writers sending overlapping ids make COPY meet a taken id.
        await using var one = await PostgresLedger.OpenAsync(_backend.Url, cancellationToken: Ct);
        await using var two = await PostgresLedger.OpenAsync(_backend.Url, cancellationToken: Ct);
        var events = Enumerable.Range(0, 3000).Select(t => TestEvents.Make($"r{t % 7}", t, id: $"e{t}")).ToList();
        var outcomes = await Task.WhenAll(new[] { one, two }.Select((ledger, w) => Task.Run(async () =>
        {
            var results = new List<AppendResult>();
            for (var start = w * 100; start < events.Count; start += 200)
            {
                results.AddRange(await ledger.AppendBatchAsync(events.Skip(start).Take(300), Ct));
            }

            return results;
        }, Ct)));

        var all = outcomes.SelectMany(o => o).ToList();
        var stored = await one.ReadAsync(EventQuery.All, Ct).ToListAsync(Ct);
        Assert.Equal(events.Count, stored.Count);
        Assert.All(all.GroupBy(r => r.Id), g => Assert.Equal(1, g.Count(r => r.Outcome == AppendOutcome.Appended)));
        Assert.DoesNotContain(all, r => r.Outcome == AppendOutcome.Conflict);
        var byId = stored.ToDictionary(s => s.Event.Id, s => s.Offset);
        Assert.All(all, r => Assert.Equal(byId[r.Id], r.Offset));
        Assert.Equal(Enumerable.Range(0, 7).Select(r => $"r{r}").Order(), (await one.ListRunsAsync(Ct).ToListAsync(Ct)).Order());
    }

    [Fact]
    public async Task Several_processes_opening_a_new_database_at_once_all_succeed()
    {
        var opens = Enumerable.Range(0, 6).Select(_ => Task.Run(async () => await PostgresLedger.OpenAsync(_backend.Url, cancellationToken: Ct), Ct));

        var ledgers = await Task.WhenAll(opens);

        Assert.All(ledgers, l => Assert.Equal(PostgresSql.LatestVersion, l.Description.SchemaVersion));
        foreach (var ledger in ledgers)
        {
            await ledger.DisposeAsync();
        }
    }

    [Fact]
    public async Task Appends_survive_backends_being_terminated_in_a_loop_without_loss_or_doubling()
    {
        // Events stored before the storm, by another ledger object: sent again during it, they are duplicates.
        const int writers = 4, perWriter = 150;
        var old = Enumerable.Range(0, writers).Select(w => Enumerable.Range(0, perWriter / 3).Select(t => TestEvents.Make($"old{w}", t, id: $"old-w{w}-{t}")).ToList()).ToList();
        await using (var before = await PostgresLedger.OpenAsync(_backend.Url, cancellationToken: Ct))
        {
            await before.AppendBatchAsync(old.SelectMany(o => o), Ct);
        }

        var url = PostgresServer.WithParameters(_backend.Url, "application_name=agentledger-storm");
        await using var ledger = await PostgresLedger.OpenAsync(url, cancellationToken: Ct);
        using var stopKilling = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var killed = 0;
        var killer = Task.Run(async () =>
        {
            await using var admin = NpgsqlDataSource.Create(PostgresServer.ConnectionString);
            while (!stopKilling.IsCancellationRequested)
            {
                await using var command = admin.CreateCommand(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'agentledger-storm' AND pid <> pg_backend_pid()");
                killed += (int)(long)(await command.ExecuteScalarAsync(CancellationToken.None))!;
                await Task.Delay(Random.Shared.Next(1, 16), CancellationToken.None);
            }
        }, Ct);

        var results = await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var outcomes = new List<AppendResult>();
            for (var i = 0; i < perWriter; i += 3)
            {
                // Each step: three new events and one old one, in a batch or one by one.
                var step = Enumerable.Range(i, 3).Select(t => TestEvents.Make($"w{w}", t, id: $"w{w}-{t}")).Append(old[w][i / 3]).ToList();
                if (w % 2 == 0)
                {
                    outcomes.AddRange(await ledger.AppendBatchAsync(step, Ct));
                }
                else
                {
                    foreach (var e in step)
                    {
                        outcomes.Add(await ledger.AppendAsync(e, Ct));
                    }
                }
            }

            return outcomes;
        }, Ct)));
        await stopKilling.CancelAsync();
        await killer;

        Assert.True(killed > 0, "the storm must actually have terminated connections");
        var all = results.SelectMany(r => r).ToList();
        var fresh = all.Where(r => !r.Id.StartsWith("old-", StringComparison.Ordinal)).ToList();
        var again = all.Where(r => r.Id.StartsWith("old-", StringComparison.Ordinal)).ToList();
        Assert.All(fresh, r => Assert.Equal(AppendOutcome.Appended, r.Outcome));
        var wrong = again.Count(r => r.Outcome != AppendOutcome.Duplicate);
        Assert.True(wrong == 0, $"{wrong} of {again.Count} events stored before the call were reported as something else than duplicate");
        var stored = await ledger.ReadAsync(EventQuery.All, Ct).ToListAsync(Ct);
        Assert.Equal(writers * perWriter + old.Sum(o => o.Count), stored.Count);
        Assert.Equal(stored.Count, stored.Select(s => s.Event.Id).Distinct().Count());
        Assert.Equal(fresh.Select(r => r.Offset).Order(), stored.Where(s => !s.Event.Id.StartsWith("old-", StringComparison.Ordinal)).Select(s => s.Offset));
    }

    [Fact]
    public async Task A_server_that_stays_down_gives_a_clear_error_after_a_bounded_time()
    {
        var port = FreePort();
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<LedgerStorageException>(
            () => PostgresLedger.OpenAsync($"postgresql://u:s3cret@127.0.0.1:{port}/db?retry_seconds=2&connect_timeout=2", cancellationToken: Ct));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
        Assert.Contains("cannot reach the server", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_password_gives_a_clear_error_without_the_password()
    {
        var cs = PostgresServer.ConnectionString;
        var url = $"postgresql://{cs.Username}:wr0ng-Pa55@{cs.Host}:{cs.Port}/{cs.Database}";

        var error = await Assert.ThrowsAsync<LedgerStorageException>(() => PostgresLedger.OpenAsync(url, cancellationToken: Ct));

        Assert.Contains("refused the login", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wr0ng-Pa55", error.Message, StringComparison.Ordinal);
        Assert.Contains("***", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_database_gives_a_clear_error()
    {
        var cs = PostgresServer.ConnectionString;
        var url = $"postgresql://{cs.Username}:{Uri.EscapeDataString(cs.Password!)}@{cs.Host}:{cs.Port}/no_such_db";

        var error = await Assert.ThrowsAsync<LedgerNotFoundException>(() => PostgresLedger.OpenAsync(url, cancellationToken: Ct));

        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_without_a_ledger_is_an_error_when_creation_is_not_allowed()
    {
        var error = await Assert.ThrowsAsync<LedgerNotFoundException>(
            () => PostgresLedger.OpenAsync(_backend.Url, new PostgresLedgerOptions { CreateIfMissing = false }, Ct));

        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Crash_kit_writers_killed_at_random_points_lose_no_acknowledged_event_and_leave_no_partial_batch()
    {
        var folder = Directory.CreateTempSubdirectory("agentledger-crash-").FullName;
        try
        {
            await using var ledger = await PostgresLedger.OpenAsync(_backend.Url, cancellationToken: Ct);
            await CrashKit.RunAsync(ledger, _backend.Url, folder, rounds: 8, Ct);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("TeamA")]
    [InlineData("a_schema_name_of_sixty_bytes_which_is_close_to_the_limit_xyz")]
    [InlineData("we\"ird name")]
    public async Task Any_legal_schema_name_works_as_written_with_notifications(string schema)
    {
        var url = PostgresServer.WithParameters(PostgresServer.Url, $"schema={Uri.EscapeDataString(schema)}&poll_ms=10000");
        try
        {
            await using var writer = await PostgresLedger.OpenAsync(url, cancellationToken: Ct);
            await using var reader = await PostgresLedger.OpenAsync(url, cancellationToken: Ct);
            Assert.Equal(schema, writer.Schema);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            stop.CancelAfter(TimeSpan.FromSeconds(5));
            var follower = Task.Run(async () =>
            {
                await foreach (var e in reader.FollowAsync(EventQuery.All, stop.Token))
                {
                    return e.Event.Id;
                }

                return null;
            }, Ct);
            await Task.Delay(300, Ct);

            await writer.AppendAsync(TestEvents.Make(id: "in-schema"), Ct);

            Assert.Equal("in-schema", await follower); // woken by NOTIFY: the 10 s poll is past the deadline
            Assert.Equal(1L, await PostgresServer.ScalarAsync<long>($"SELECT count(*) FROM {PostgresUrl.QuoteIdentifier(schema)}.events", Ct));
        }
        finally
        {
            await PostgresServer.ExecuteAsync($"DROP SCHEMA IF EXISTS {PostgresUrl.QuoteIdentifier(schema)} CASCADE", CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_hundred_idle_followers_share_one_change_probe()
    {
        await using var ledger = await PostgresLedger.OpenAsync(PostgresServer.WithParameters(_backend.Url, "poll_ms=20"), cancellationToken: Ct);
        var probes = await IdleFollowers.ProbesWhileIdleAsync(ledger, ledger.Changes, followers: 100, TimeSpan.FromSeconds(1), Ct);

        // One probe per 20 ms for the ledger (about 50), not one per follower (about 5,000).
        Assert.InRange(probes, 1, 150);
    }

    [Fact]
    public async Task A_follower_is_woken_by_notify_long_before_its_poll_interval()
    {
        // Without NOTIFY the follower would only look again after its 10 s poll, past the 5 s deadline.
        var (seen, elapsed) = await FollowerSeesAppendAsync("poll_ms=10000", "wake", TimeSpan.FromSeconds(5));

        Assert.Equal("wake", seen?.Event.Id);
        Assert.True(elapsed < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_follower_without_notifications_still_sees_new_events_by_polling()
    {
        var (seen, _) = await FollowerSeesAppendAsync("notifications=false&poll_ms=50", "polled", TimeSpan.FromSeconds(10));

        Assert.Equal("polled", seen?.Event.Id);
    }

    /// <summary>A follower on one ledger object waits; another appends <paramref name="id"/>: what does the follower see, and when?</summary>
    private async Task<(StoredEvent? Seen, TimeSpan Elapsed)> FollowerSeesAppendAsync(string parameters, string id, TimeSpan deadline)
    {
        var url = PostgresServer.WithParameters(_backend.Url, parameters);
        await using var writer = await PostgresLedger.OpenAsync(url, cancellationToken: Ct);
        await using var reader = await PostgresLedger.OpenAsync(url, cancellationToken: Ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        stop.CancelAfter(deadline);
        var follower = Task.Run(async () =>
        {
            await foreach (var e in reader.FollowAsync(EventQuery.All, stop.Token))
            {
                return e;
            }

            return null;
        }, Ct);

        await Task.Delay(300, Ct); // the follower has caught up and waits
        var clock = Stopwatch.StartNew();
        await writer.AppendAsync(TestEvents.Make(id: id), Ct);
        return (await follower, clock.Elapsed);
    }

    [Fact]
    public async Task A_ledger_copied_to_a_sqlite_file_and_back_keeps_offsets_and_every_field()
    {
        await using var source = await PostgresLedger.OpenAsync(_backend.Url, cancellationToken: Ct);
        await source.AppendBatchAsync(Enumerable.Range(0, 2500).Select(i => TestEvents.Make($"run-{i % 9}", i, id: $"e{i}",
            payload: $$"""{"text":"é {{i}}","big":123456789012345678901234567890{{i}}}""", session: i % 3 == 0 ? null : "s")), Ct);
        await source.AppendAsync(TestEvents.Make("dup", id: "e0"), Ct);
        await source.AppendAsync(TestEvents.Make("late", id: "late"), Ct);
        var file = Path.Combine(_folder, "snapshot.db");

        CopyReport toFile, back;
        await using (var sqlite = await SqliteLedger.OpenAsync(file, cancellationToken: Ct))
        {
            toFile = await LedgerCopy.CopyAsync(source, sqlite, verify: true, cancellationToken: Ct);
        }

        await using var backBackend = new PostgresBackend();
        await using (var sqlite = await Ledger.Create().UseSqlite().UsePostgres().OpenAsync($"sqlite:///{file}", cancellationToken: Ct))
        await using (var destination = await PostgresLedger.OpenAsync(backBackend.Url, cancellationToken: Ct))
        {
            back = await LedgerCopy.CopyAsync(sqlite, destination, verify: true, cancellationToken: Ct);
            Assert.Equal(await source.LatestOffsetAsync(Ct) + 1, (await destination.AppendAsync(TestEvents.Make(id: "after-copy"), Ct)).Offset);
        }

        Assert.True(toFile.Verified && back.Verified);
        Assert.Equal(toFile.SourceDigest, back.DestinationDigest);
        Assert.Equal(2501, toFile.Copied);
    }

    private static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
