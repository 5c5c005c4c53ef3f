using System.Diagnostics;
using System.Security.Cryptography;
using AgentLedger.Conformance;
using Microsoft.Data.Sqlite;
using Xunit;

namespace AgentLedger.Sqlite.Tests;

/// <summary>What only a file can do: processes, reopening, old and foreign layouts, broken files.</summary>
public sealed class SqliteFileTests : IAsyncDisposable
{
    private readonly SqliteBackend _files = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return _files.DisposeAsync();
    }

    [Fact]
    public async Task Appends_queued_behind_dispose_fail_as_disposed_and_never_touch_the_freed_statements()
    {
        // A batch holds the write gate; dispose queues behind it, then appends queue behind dispose (they passed the
        // open check before dispose began). Dispose frees the writer's statements; the appends must then fail
        // cleanly, not bind through a freed raw handle.
        var ledger = await SqliteLedger.OpenAsync(_files.PathOf(), cancellationToken: Ct);
        // (On other threads: a batch runs to its end synchronously inside the call when the gate is free.)
        var events = Enumerable.Range(0, 200_000).Select(i => new LedgerEvent("big", i, "agent.spoke", "a", "{}", id: $"b{i}")).ToList();
        var batch = Task.Run(async () => await ledger.AppendBatchAsync(events, Ct), Ct);
        await Task.Delay(100, Ct);
        var disposing = Task.Run(async () => await ledger.DisposeAsync(), Ct);
        await Task.Delay(100, Ct);
        Assert.False(batch.IsCompleted, "the batch should still hold the write gate");
        var appends = Enumerable.Range(0, 10).Select(i => ledger.AppendAsync(new LedgerEvent("late", i, "agent.spoke", "a", "{}", id: $"late{i}"), Ct).AsTask()).ToList();

        await batch;
        await disposing;
        foreach (var append in appends)
        {
            await Assert.ThrowsAsync<ObjectDisposedException>(() => append);
        }
    }

    [Fact]
    public async Task Rows_read_the_same_through_the_direct_entry_points_and_through_SQLitePCLRaw()
    {
        // The direct calls are what runs here (the bundled e_sqlite3); if the probe broke, every test would
        // silently cover only the SQLitePCLRaw path.
        Assert.True(SqliteNative.Available, "the direct SQLite entry points should resolve to SQLitePCLRaw's e_sqlite3");
        var path = _files.PathOf();
        string[] texts = ["", "plain", "naïve — ünïcödé", "emoji 🧪🦉", "tab\tnew\nline", new string('x', 100_000)];
        var written = texts.Select((text, i) => new LedgerEvent(
            "run-ß", i, "agent.spoke", text.Length == 0 ? "a" : text[..Math.Min(text.Length, 20)],
            System.Text.Json.JsonSerializer.Serialize(new { text }), id: $"e{i}",
            sessionId: i % 2 == 0 ? null : text[..Math.Min(text.Length, 30)], modelProfile: i % 3 == 0 ? null : "", modelId: i % 2 == 0 ? "m/é" : null)).ToList();

        // Values that repeat from row to row are reused, not decoded again: equal lengths, one letter apart, must not be mixed up.
        string[] actors = ["alice", "alicf", "alice", "bob", "alicf", "ALICE", "alice"];
        written.AddRange(actors.Select((actor, i) => new LedgerEvent(
            $"run-{i % 2}", i, i % 2 == 0 ? "agent.spoke" : "agent.spokf", actor, "{}", id: $"r{i}", modelId: i % 3 == 0 ? "m1" : "m2")));

        await using (var direct = await SqliteLedger.OpenAsync(path, cancellationToken: Ct))
        {
            await direct.AppendBatchAsync(written.Take(3), Ct);
            foreach (var e in written.Skip(3))
            {
                await direct.AppendAsync(e, Ct);
            }
        }

        async Task<List<StoredEvent>> ReadAsync(bool directInterop)
        {
            await using var ledger = await SqliteLedger.OpenAsync(path, new SqliteLedgerOptions { ReadOnly = true, DirectInterop = directInterop }, Ct);
            var events = new List<StoredEvent>();
            await foreach (var e in ledger.ReadAsync(new EventQuery(), Ct))
            {
                events.Add(e);
            }

            return events;
        }

        var throughDirect = await ReadAsync(directInterop: true);
        var throughPclRaw = await ReadAsync(directInterop: false);
        Assert.Equal(written.Count, throughDirect.Count);
        static object Fields(StoredEvent s) => (s.Offset, s.Event.Id, s.Event.RunId, s.Event.Turn, s.Event.Kind, s.Event.Actor, s.Event.Payload,
            s.Event.CreatedAt, s.Event.SchemaVersion, s.Event.SessionId, s.Event.ModelProfile, s.Event.ModelId);
        Assert.Equal(throughPclRaw.Select(Fields), throughDirect.Select(Fields));
        for (var i = 0; i < written.Count; i++)
        {
            Assert.Equal(written[i].Payload, throughDirect[i].Event.Payload);
            Assert.Equal(written[i].SessionId, throughDirect[i].Event.SessionId);
            Assert.Equal(written[i].ModelProfile, throughDirect[i].Event.ModelProfile);
            Assert.Equal(written[i].ModelId, throughDirect[i].Event.ModelId);
            Assert.Equal(written[i].Actor, throughDirect[i].Event.Actor);
            Assert.Equal(written[i].Kind, throughDirect[i].Event.Kind);
            Assert.Equal(written[i].RunId, throughDirect[i].Event.RunId);
        }

        // The direct path hands a repeated value back as the same string; SQLitePCLRaw decodes each one anew.
        var alices = Enumerable.Range(texts.Length, actors.Length).Where(i => written[i].Actor == "alice").ToList();
        Assert.Same(throughDirect[alices[0]].Event.Actor, throughDirect[alices[^1]].Event.Actor);
        Assert.NotSame(throughPclRaw[alices[0]].Event.Actor, throughPclRaw[alices[^1]].Event.Actor);
    }

    [Fact]
    public async Task Events_survive_the_process_and_another_process_sees_them_as_duplicates()
    {
        var path = _files.PathOf();

        Assert.Equal("appended 50 duplicate 0 conflict 0", await WriterProcess.RunAsync(path, "first", 50, Ct));
        Assert.Equal("appended 0 duplicate 50 conflict 0", await WriterProcess.RunAsync(path, "first", 50, Ct));

        await using var ledger = await SqliteLedger.OpenAsync(path, cancellationToken: Ct);
        Assert.Equal(50, await ledger.CountAsync(Ct));
        Assert.Equal(50, await ledger.LatestOffsetAsync(Ct));
        var result = await ledger.AppendAsync(new LedgerEvent("first", 0, "agent.spoke", "writer", """{"n":0}""", id: "first-0"), Ct);
        Assert.Equal(new AppendResult("first-0", AppendOutcome.Duplicate, 1), result);
    }

    [Fact]
    public async Task Several_processes_appending_at_once_lose_and_double_nothing_while_a_follower_sees_all()
    {
        var path = _files.PathOf();
        await using var ledger = await SqliteLedger.OpenAsync(path, cancellationToken: Ct);
        const int perWriter = 300;
        string[] prefixes = ["p1", "p2", "p3"];
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        stop.CancelAfter(TimeSpan.FromSeconds(120));
        var follower = Task.Run(async () =>
        {
            var seen = new List<StoredEvent>();
            await foreach (var e in ledger.FollowAsync(EventQuery.All, stop.Token))
            {
                seen.Add(e);
                if (seen.Count == perWriter * prefixes.Length)
                {
                    break;
                }
            }

            return seen;
        }, Ct);

        var writers = prefixes.Select((p, i) => WriterProcess.Start(path, p, perWriter, batchSize: i == 2 ? 10 : 1)).ToList();
        var outputs = await Task.WhenAll(writers.Select(w => WriterProcess.FinishAsync(w, Ct)));
        var seen = await follower;
        writers.ForEach(w => w.Dispose());

        Assert.All(outputs, o => Assert.Equal($"appended {perWriter} duplicate 0 conflict 0", o));
        Assert.Equal(perWriter * prefixes.Length, await ledger.CountAsync(Ct));
        Assert.Equal(perWriter * prefixes.Length, seen.Select(s => s.Event.Id).Distinct().Count());
        Assert.Equal(Enumerable.Range(1, perWriter * prefixes.Length).Select(i => (long)i), seen.Select(s => s.Offset));
        foreach (var prefix in prefixes)
        {
            Assert.Equal(Enumerable.Range(0, perWriter), seen.Where(s => s.Event.RunId == prefix).Select(s => s.Event.Turn));
        }
    }

    [Fact]
    public async Task An_old_layout_file_is_upgraded_in_place_and_keeps_its_events()
    {
        var path = _files.PathOf("old.db");
        ReferenceFiles.CreateOldLayout(path);
        ReferenceFiles.InsertRow(path, "r-1", "legacy-run", 0, "run.started", "engine", """{"seed": 7, "goal": "caf\u00e9"}""", "2026-06-07T10:11:12.123456+00:00", withLaterColumns: false);
        ReferenceFiles.InsertRow(path, "r-2", "legacy-run", 1, "agent.spoke", "fox", """{"text": "hi"}""", "2026-06-07 10:11:13.000001", withLaterColumns: false);

        await using (var ledger = await SqliteLedger.OpenAsync(path, cancellationToken: Ct))
        {
            Assert.Equal(SqliteMigrations.Latest, ledger.Description.SchemaVersion);
            var events = await ledger.ReadAsync(EventQuery.All, Ct).ToListAsync(Ct);
            Assert.Equal(["r-1", "r-2"], events.Select(e => e.Event.Id));
            Assert.All(events, e => Assert.Null(e.Event.SessionId));
            var appended = await ledger.AppendAsync(TestEvents.Make("legacy-run", 2, id: "new-1"), Ct);
            Assert.Equal(3, appended.Offset);
            Assert.Equal(["legacy-run"], await ledger.ListRunsAsync(Ct).ToListAsync(Ct));
        }

        Assert.Equal(SqliteMigrations.Latest, ReferenceFiles.Scalar(path, "PRAGMA user_version"));
        Assert.Equal(3, ReferenceFiles.Scalar(path, "SELECT COUNT(*) FROM pragma_table_info('events') WHERE name IN ('session_id','model_profile','model_id')"));
        Assert.Equal("openai/gpt-4o-mini", ReferenceFiles.Text(path, "SELECT model_id FROM events WHERE id = 'new-1'"));
    }

    [Fact]
    public async Task Rows_written_in_the_reference_formats_read_back_exactly()
    {
        var path = _files.PathOf("reference.db");
        ReferenceFiles.CreateReferenceLayout(path);
        const string pythonPayload = """{"text": "na\u00efve \ud83d\ude00", "big": 123456789012345678901234567890, "f": 1e-07, "list": [1, {"a": null}]}""";
        ReferenceFiles.InsertRow(path, "a", "run", 0, "agent.spoke", "fox", pythonPayload, "2026-06-07T10:11:12.123456+00:00", session: "s-1", modelId: "m-1");
        ReferenceFiles.InsertRow(path, "b", "run", 1, "agent.spoke", "fox", "{}", "2026-06-07T10:11:12+00:00");
        ReferenceFiles.InsertRow(path, "c", "run", 2, "agent.spoke", "fox", "{}", "2026-06-07 10:11:12.000042");
        ReferenceFiles.InsertRow(path, "d", "run", 3, "agent.spoke", "fox", "{}", "2026-06-07T12:11:12.5+02:00");

        await using var ledger = await SqliteLedger.OpenAsync(path, cancellationToken: Ct);
        var events = await ledger.ReadAsync(EventQuery.All, Ct).ToListAsync(Ct);

        Assert.Equal(pythonPayload, events[0].Event.Payload);
        Assert.Equal("naïve 😀", events[0].Event.PayloadElement.GetProperty("text").GetString());
        Assert.Equal(("s-1", "m-1"), (events[0].Event.SessionId, events[0].Event.ModelId));
        var t = new DateTimeOffset(2026, 6, 7, 10, 11, 12, TimeSpan.Zero);
        Assert.Equal([t.AddTicks(1_234_560), t, t.AddTicks(420), t.AddMilliseconds(500)], events.Select(e => e.Event.CreatedAt));

        // Written here, read by the reference: six fraction digits and +00:00.
        await ledger.AppendAsync(TestEvents.Make(id: "ours", createdAt: t), Ct);
        Assert.Equal("2026-06-07T10:11:12.000000+00:00", ReferenceFiles.Text(path, "SELECT created_at FROM events WHERE id = 'ours'"));
    }

    [Fact]
    public async Task A_file_of_the_sql_toolkit_variant_opens_without_indexing_columns_twice()
    {
        var path = _files.PathOf("toolkit.db");
        ReferenceFiles.CreateToolkitLayout(path);
        ReferenceFiles.InsertRow(path, "a", "run", 0, "agent.spoke", "fox", "{}", "2026-06-07 10:11:12.000000");
        var indexesBefore = ReferenceFiles.Scalar(path, "SELECT COUNT(*) FROM pragma_index_list('events')");

        await using var ledger = await SqliteLedger.OpenAsync(path, cancellationToken: Ct);
        await ledger.AppendAsync(TestEvents.Make(id: "b"), Ct);

        Assert.Equal(indexesBefore, ReferenceFiles.Scalar(path, "SELECT COUNT(*) FROM pragma_index_list('events')"));
        Assert.Equal(["a", "b"], (await ledger.ReadAsync(EventQuery.All, Ct).ToListAsync(Ct)).Select(e => e.Event.Id));
    }

    [Fact]
    public async Task Runs_written_or_deleted_by_the_reference_are_listed_correctly()
    {
        var path = _files.PathOf();
        await using var ledger = await SqliteLedger.OpenAsync(path, cancellationToken: Ct);
        await ledger.AppendAsync(TestEvents.Make("ours", id: "o1"), Ct);
        Assert.Equal(["ours"], await ledger.ListRunsAsync(Ct).ToListAsync(Ct));

        // The reference appends to our file with its own SQL, then resets it and starts again.
        ReferenceFiles.InsertRow(path, "ref-1", "theirs", 0, "run.started", "engine", "{}", "2026-06-07T10:11:12+00:00");
        Assert.Equal(["ours", "theirs"], await ledger.ListRunsAsync(Ct).ToListAsync(Ct));
        ReferenceFiles.Execute(path, "DELETE FROM events");
        Assert.Empty(await ledger.ListRunsAsync(Ct).ToListAsync(Ct));
        ReferenceFiles.InsertRow(path, "ref-2", "again", 0, "run.started", "engine", "{}", "2026-06-07T10:11:12+00:00");
        await ledger.AppendAsync(TestEvents.Make("ours", id: "o2"), Ct);

        Assert.Equal(["again", "ours"], await ledger.ListRunsAsync(Ct).ToListAsync(Ct));
    }

    [Fact]
    public async Task A_file_that_is_not_a_database_gives_a_clear_error_and_is_left_untouched()
    {
        var path = _files.PathOf("notes.db");
        await File.WriteAllTextAsync(path, "These are my notes, not a database. " + new string('x', 5000), Ct);
        var before = await HashAsync(path);

        var error = await Assert.ThrowsAsync<LedgerStorageException>(() => SqliteLedger.OpenAsync(path, cancellationToken: Ct));

        Assert.Contains("not a SQLite database", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Equal(before, await HashAsync(path));
    }

    [Fact]
    public async Task A_corrupt_file_gives_a_clear_error_and_is_left_untouched()
    {
        var path = _files.PathOf("corrupt.db");
        await using (var ledger = await SqliteLedger.OpenAsync(path, cancellationToken: Ct))
        {
            await ledger.AppendBatchAsync(Enumerable.Range(0, 500).Select(i => TestEvents.Make(turn: i, id: $"e{i}")), Ct);
        }

        SqliteConnection.ClearAllPools();
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            // Keep the header, overwrite every page after the first with garbage.
            file.Seek(4096, SeekOrigin.Begin);
            var garbage = new byte[file.Length - 4096];
            new Random(7).NextBytes(garbage);
            await file.WriteAsync(garbage, Ct);
        }

        var before = await HashAsync(path);

        var error = await Assert.ThrowsAsync<LedgerStorageException>(async () =>
        {
            await using var ledger = await SqliteLedger.OpenAsync(path, cancellationToken: Ct);
            await ledger.ReadAsync(EventQuery.All, Ct).ToListAsync(Ct);
        });

        Assert.Matches("corrupt|not a SQLite database", error.Message);
        Assert.Equal(before, await HashAsync(path));
    }

    [Fact]
    public async Task A_corrupt_rollback_journal_file_is_refused_before_anything_changes_it()
    {
        // The reference's files are in rollback-journal mode: opening must not switch them to WAL before checking.
        var path = _files.PathOf("journal.db");
        ReferenceFiles.CreateReferenceLayout(path);
        ReferenceFiles.Execute(path, "CREATE TABLE filler (x BLOB); " + string.Concat(Enumerable.Range(0, 200).Select(i => $"INSERT INTO filler VALUES (randomblob(900));")));
        SqliteConnection.ClearAllPools();
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            file.Seek(4096 * 3, SeekOrigin.Begin);
            var garbage = new byte[4096 * 20];
            new Random(11).NextBytes(garbage);
            await file.WriteAsync(garbage, Ct);
        }

        var before = await HashAsync(path);

        var error = await Assert.ThrowsAsync<LedgerStorageException>(() => SqliteLedger.OpenAsync(path, cancellationToken: Ct));

        Assert.Equal(LedgerErrorKind.Corrupt, error.Kind);
        Assert.Contains("left untouched", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, await HashAsync(path));
        Assert.False(File.Exists(path + "-wal"));
    }

    [Fact]
    public async Task Foreign_rows_outside_the_envelope_get_clear_errors_naming_the_offset_and_never_break_an_append()
    {
        var path = _files.PathOf();
        await using (var ledger = await SqliteLedger.OpenAsync(path, cancellationToken: Ct))
        {
            await ledger.AppendAsync(TestEvents.Make(id: "ok"), Ct);
        }

        ReferenceFiles.Execute(path, """
            INSERT INTO events (id, run_id, turn, kind, actor, payload, created_at, schema_version) VALUES
              ('not-json', 'r', 0, 'agent.spoke', 'fox', 'this is not json', '2026-06-07T10:11:12.000000+00:00', 1),
              ('big-turn', 'r', 3000000000, 'agent.spoke', 'fox', '{}', '2026-06-07T10:11:12.000000+00:00', 1);
            """);
        await using var reopened = await SqliteLedger.OpenAsync(path, cancellationToken: Ct);

        var append = await reopened.AppendAsync(TestEvents.Make(id: "not-json"), Ct);
        Assert.Equal(AppendOutcome.Conflict, append.Outcome);
        var export = await Assert.ThrowsAsync<LedgerStorageException>(async () =>
        {
            await foreach (var e in reopened.ReadAsync(new EventQuery { After = 1, UpTo = 2 }, Ct))
            {
                JsonlTrace.Write(e);
            }
        });
        Assert.Equal((LedgerErrorKind.InvalidData, true), (export.Kind, export.Message.Contains("offset 2", StringComparison.Ordinal)));
        var turn = await Assert.ThrowsAsync<LedgerStorageException>(async () => await reopened.ReadAsync(new EventQuery { After = 2 }, Ct).ToListAsync(Ct));
        Assert.Equal((LedgerErrorKind.InvalidData, true), (turn.Kind, turn.Message.Contains("offset 3", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task When_no_offset_is_left_the_error_says_so_not_that_the_disk_is_full()
    {
        await using var ledger = await SqliteLedger.OpenAsync(_files.PathOf(), cancellationToken: Ct);
        await ledger.RestoreAsync(TestEvents.Stream(new StoredEvent(long.MaxValue, TestEvents.Make(id: "last"))), cancellationToken: Ct);

        var error = await Assert.ThrowsAsync<LedgerStorageException>(async () => await ledger.AppendAsync(TestEvents.Make(id: "one-more"), Ct));

        Assert.Equal(LedgerErrorKind.InvalidData, error.Kind);
        Assert.Contains("no offset is left", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_ledger_opened_read_only_can_be_read_but_not_written()
    {
        var path = _files.PathOf();
        await WriterProcess.RunAsync(path, "ro", 5, Ct);

        await using var ledger = await Ledger.Create().UseSqlite().OpenAsync($"sqlite:///{path}?mode=ro", cancellationToken: Ct);

        Assert.Equal(5, (await ledger.ReadAsync(EventQuery.All, Ct).ToListAsync(Ct)).Count);
        Assert.Equal(["ro"], await ledger.ListRunsAsync(Ct).ToListAsync(Ct));
        var error = await Assert.ThrowsAsync<LedgerStorageException>(async () => await ledger.AppendAsync(TestEvents.Make(), Ct));
        Assert.Contains("read-only", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_file_is_an_error_when_creation_is_not_allowed()
    {
        var path = _files.PathOf("missing.db");

        var error = await Assert.ThrowsAsync<LedgerNotFoundException>(
            () => SqliteLedger.OpenAsync(path, new SqliteLedgerOptions { CreateIfMissing = false }, Ct));

        Assert.Contains("no ledger file", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
        await Assert.ThrowsAsync<LedgerNotFoundException>(() => SqliteLedger.OpenAsync(Path.Combine(_files.Folder, "no", "such", "dir.db"), cancellationToken: Ct));
    }

    [Theory]
    [InlineData("old")]
    [InlineData("reference")]
    [InlineData("toolkit")]
    public async Task Every_older_layout_is_upgraded_to_the_newest_step_and_keeps_working(string shape)
    {
        var path = _files.PathOf($"{shape}.db");
        CreateLayout(shape, path);

        await using (var ledger = await SqliteLedger.OpenAsync(path, cancellationToken: Ct))
        {
            Assert.Equal(ledger.Description.MaxKnownSchemaVersion, ledger.Description.SchemaVersion);
            var appended = await ledger.AppendAsync(TestEvents.Make("after-upgrade", id: $"{shape}-new"), Ct);
            Assert.Equal(AppendOutcome.Appended, appended.Outcome);
            Assert.Contains("after-upgrade", await ledger.ListRunsAsync(Ct).ToListAsync(Ct));
        }

        Assert.Equal(SqliteMigrations.Latest, ReferenceFiles.Scalar(path, "PRAGMA user_version"));
    }

    [Theory]
    [InlineData("new")]
    [InlineData("old")]
    [InlineData("reference")]
    [InlineData("toolkit")]
    public async Task A_follower_stays_exact_across_a_reset_on_every_layout(string shape)
    {
        var path = _files.PathOf($"{shape}.db");
        CreateLayout(shape, path);
        await using var ledger = await SqliteLedger.OpenAsync(path, cancellationToken: Ct);
        for (var i = 0; i < 6; i++)
        {
            await ledger.AppendAsync(TestEvents.Make("before", i, id: $"b{i}"), Ct);
        }

        var latest = await ledger.LatestOffsetAsync(Ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        stop.CancelAfter(TimeSpan.FromSeconds(30));
        var follower = Task.Run(async () =>
        {
            var seen = new List<StoredEvent>();
            await foreach (var e in ledger.FollowAsync(new EventQuery { After = latest }, stop.Token))
            {
                seen.Add(e);
                if (seen.Count == 3)
                {
                    break;
                }
            }

            return seen;
        }, Ct);

        await ledger.ResetAsync(Ct);
        for (var i = 0; i < 3; i++)
        {
            await ledger.AppendAsync(TestEvents.Make("after", i, id: $"a{i}"), Ct);
        }

        var seen = await follower;
        Assert.Equal(["a0", "a1", "a2"], seen.Select(e => e.Event.Id));
        Assert.All(seen, e => Assert.True(e.Offset > latest, $"offset {e.Offset} reused (latest before the reset was {latest})"));
    }

    [Fact]
    public async Task After_a_reset_and_foreign_rows_in_a_toolkit_file_runs_and_counts_are_right()
    {
        var path = _files.PathOf("toolkit.db");
        ReferenceFiles.CreateToolkitLayout(path);
        await using (var ledger = await SqliteLedger.OpenAsync(path, cancellationToken: Ct))
        {
            await ledger.AppendBatchAsync(Enumerable.Range(0, 6).Select(i => TestEvents.Make(i < 3 ? "x" : "y", i, id: $"e{i}")), Ct);
            Assert.Equal(["x", "y"], await ledger.ListRunsAsync(Ct).ToListAsync(Ct));
            await ledger.ResetAsync(Ct);
        }

        // The reference resets and writes the file itself.
        ReferenceFiles.Execute(path, "DELETE FROM events");
        ReferenceFiles.InsertRow(path, "f1", "foreign", 0, "agent.spoke", "fox", "{}", "2026-06-07 10:11:12.000000");
        ReferenceFiles.InsertRow(path, "f2", "foreign", 1, "agent.spoke", "fox", "{}", "2026-06-07 10:11:13.000000");
        await using var reopened = await SqliteLedger.OpenAsync(path, cancellationToken: Ct);

        Assert.Equal(["foreign"], await reopened.ListRunsAsync(Ct).ToListAsync(Ct));
        Assert.Equal(2, await reopened.CountAsync(Ct));
        Assert.True(await reopened.LatestOffsetAsync(Ct) > 6);
    }

    private static void CreateLayout(string shape, string path)
    {
        switch (shape)
        {
            case "old":
                ReferenceFiles.CreateOldLayout(path);
                break;
            case "reference":
                ReferenceFiles.CreateReferenceLayout(path);
                break;
            case "toolkit":
                ReferenceFiles.CreateToolkitLayout(path);
                break;
        }
    }

    [Fact]
    public async Task Crash_kit_writers_killed_at_random_points_lose_no_acknowledged_event_and_leave_no_partial_batch()
    {
        var path = _files.PathOf("crash.db");
        await using var ledger = await SqliteLedger.OpenAsync(path, cancellationToken: Ct);

        await CrashKit.RunAsync(ledger, path, _files.Folder, rounds: 8, Ct);
    }

    [Fact]
    public async Task On_a_full_disk_appends_fail_clearly_only_whole_batches_are_stored_and_the_file_still_opens()
    {
        var mount = Directory.CreateTempSubdirectory("agentledger-full-").FullName;
        using (var mounting = Process.Start("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mount]))
        {
            await mounting.WaitForExitAsync(Ct);
            Assert.True(mounting.ExitCode == 0, "this test mounts a 1 MB tmpfs and needs root (tests run as root here and in CI)");
        }

        try
        {
            var path = Path.Combine(mount, "full.db");
            LedgerStorageException? full = null;
            await using (var ledger = await SqliteLedger.OpenAsync(path, cancellationToken: Ct))
            {
                // An import larger than the disk: refused when the disk fills, and nothing of it is left.
                var tooBig = TestEvents.Stream([.. Enumerable.Range(0, 2000).Select(i => TestEvents.Make("import", i, id: $"i{i}", payload: $$"""{"text":"{{new string('y', 2000)}}"}"""))]);
                var importError = await Assert.ThrowsAsync<LedgerStorageException>(async () => await ledger.ImportAsync(tooBig, cancellationToken: Ct));
                Assert.Equal(LedgerErrorKind.DiskFull, importError.Kind);
                Assert.Equal(0, await ledger.CountAsync(Ct));

                for (var batch = 0; batch < 1000 && full is null; batch++)
                {
                    try
                    {
                        await ledger.AppendBatchAsync(Enumerable.Range(0, 20).Select(i => TestEvents.Make("full", i, id: $"f{batch}-{i}", payload: $$"""{"text":"{{new string('x', 2000)}}"}""")), Ct);
                    }
                    catch (LedgerStorageException ex)
                    {
                        full = ex;
                    }
                }
            }

            Assert.NotNull(full);
            Assert.Equal(LedgerErrorKind.DiskFull, full.Kind);
            Assert.Contains("disk is full", full.Message, StringComparison.Ordinal);
            await using var reopened = await SqliteLedger.OpenAsync(path, new SqliteLedgerOptions { ReadOnly = true }, Ct);
            var count = await reopened.CountAsync(Ct);
            Assert.True(count > 0 && count % 20 == 0, $"{count} events: a batch was stored in part");
            Assert.True((await LedgerVerification.VerifyAsync(reopened, Ct)).IsValid);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            using var unmounting = Process.Start("umount", ["-l", mount]);
            await unmounting.WaitForExitAsync(CancellationToken.None);
            Directory.Delete(mount);
        }
    }

    [Fact]
    public async Task Reading_commands_never_wait_for_another_process_holding_the_write_lock()
    {
        var path = _files.PathOf();
        await using (var writer = await SqliteLedger.OpenAsync(path, cancellationToken: Ct))
        {
            await writer.AppendAsync(TestEvents.Make("first", id: "first"), Ct);
        }

        // Another connection (as another process would) writes new events and keeps its write transaction open.
        using var other = new SqliteConnection($"Data Source={path};Pooling=False");
        other.Open();
        using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE; INSERT INTO events (id, run_id, turn, kind, actor, payload, created_at, schema_version) VALUES ('held', 'second', 0, 'agent.spoke', 'fox', '{}', '2026-06-07T10:11:12.000000+00:00', 1);";
            begin.ExecuteNonQuery();
        }

        await using var reader = await SqliteLedger.OpenAsync(path, new SqliteLedgerOptions { BusyTimeout = TimeSpan.FromSeconds(20) }, Ct);
        var clock = Stopwatch.StartNew();
        var runs = await reader.ListRunsAsync(Ct).ToListAsync(Ct);
        var count = await reader.CountAsync(Ct);

        Assert.Equal(["first"], runs);
        Assert.Equal(1, count);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"listing runs waited {clock.Elapsed.TotalSeconds:0.0} s for the write lock");
        using var rollback = other.CreateCommand();
        rollback.CommandText = "ROLLBACK";
        rollback.ExecuteNonQuery();
    }

    [Fact]
    public async Task A_hundred_idle_followers_share_one_change_probe()
    {
        await using var ledger = await SqliteLedger.OpenAsync(_files.PathOf(), new SqliteLedgerOptions { FollowPollInterval = TimeSpan.FromMilliseconds(10) }, Ct);
        var probes = await IdleFollowers.ProbesWhileIdleAsync(ledger, ledger.Changes, followers: 100, TimeSpan.FromSeconds(1), Ct);

        // One probe per 10 ms for the ledger (about 100), not one per follower (about 10,000).
        Assert.InRange(probes, 1, 250);
    }

    [Fact]
    public async Task A_file_of_a_newer_layout_is_refused()
    {
        var path = _files.PathOf("future.db");
        ReferenceFiles.CreateReferenceLayout(path);
        ReferenceFiles.Execute(path, "PRAGMA user_version = 99");

        var error = await Assert.ThrowsAsync<LedgerStorageException>(() => SqliteLedger.OpenAsync(path, cancellationToken: Ct));

        Assert.Contains("newer", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sqlite:///{0}")]
    [InlineData("{0}")]
    public async Task Ledger_open_finds_the_sqlite_backend_by_url(string form)
    {
        var url = string.Format(System.Globalization.CultureInfo.InvariantCulture, form, _files.PathOf());

        await using var ledger = await Ledger.Create().UseSqlite().OpenAsync(url, cancellationToken: Ct);
        await ledger.AppendAsync(TestEvents.Make(), Ct);

        Assert.Equal("sqlite", ledger.Description.Backend);
        Assert.True(File.Exists(_files.PathOf()));
    }

    [Fact]
    public async Task Sqlite_memory_url_is_private_and_leaves_no_file_behind()
    {
        string path;
        await using (var ledger = await Ledger.Create().UseSqlite().OpenAsync("sqlite://", cancellationToken: Ct))
        {
            await ledger.AppendAsync(TestEvents.Make(), Ct);
            Assert.Equal(1, await ledger.CountAsync(Ct));
            path = ledger.Description.Location;
        }

        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task Unknown_sqlite_option_is_a_configuration_error()
    {
        var error = await Assert.ThrowsAsync<LedgerConfigurationException>(async () => await Ledger.Create().UseSqlite().OpenAsync($"sqlite:///{_files.PathOf()}?journal=off", cancellationToken: Ct));

        Assert.Contains("journal", error.Message, StringComparison.Ordinal);
    }

    private static async Task<string> HashAsync(string path) => Convert.ToHexString(SHA256.HashData(await File.ReadAllBytesAsync(path, Ct)));
}
