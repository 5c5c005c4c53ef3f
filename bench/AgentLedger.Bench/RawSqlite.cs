using System.Diagnostics;
using AgentLedger.Storage;
using Microsoft.Data.Sqlite;

namespace AgentLedger.Bench;

/// <summary>The plainest Microsoft.Data.Sqlite code on the reference's table with the same pragmas: the limit AgentLedger is measured against.</summary>
internal sealed class RawSqlite(SqliteTarget target, Workload workload, Settings settings, Action<Measurement> report) : IRawLimits
{
    private const string Table = """
        CREATE TABLE events (
            "offset" INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, run_id TEXT NOT NULL, turn INTEGER NOT NULL,
            kind TEXT NOT NULL, actor TEXT NOT NULL, payload TEXT NOT NULL, created_at TEXT NOT NULL,
            schema_version INTEGER NOT NULL DEFAULT 1, session_id TEXT, model_profile TEXT, model_id TEXT);
        CREATE INDEX idx_events_run_offset ON events(run_id, "offset");
        CREATE INDEX idx_events_kind ON events(kind);
        CREATE INDEX idx_events_actor ON events(actor);
        CREATE INDEX idx_events_session_id ON events(session_id);
        CREATE INDEX idx_events_model_id ON events(model_id);
        """;

    private const string Insert = """
        INSERT INTO events (id, run_id, turn, kind, actor, payload, created_at, schema_version, session_id, model_profile, model_id)
        VALUES ($id, $run_id, $turn, $kind, $actor, $payload, $created_at, $schema_version, $session_id, $model_profile, $model_id)
        """;

    public static string Pragmas => "journal_mode=WAL, synchronous=NORMAL, busy_timeout=30000";

    private SqliteConnection? _main;

    /// <summary>P1 limit: one prepared INSERT per event, each its own (autocommit) transaction.</summary>
    public Task SingleAppendsAsync(int trial)
    {
        using var connection = Open($"raw-p1-{trial}");
        var events = Enumerable.Range(0, settings.SingleAppends).Select(i => Workload.Event(i, workload.TurnsPerRun, "p1")).ToList();
        using var insert = Prepare(connection);
        foreach (var e in Enumerable.Range(0, settings.WarmUp).Select(i => Workload.Event(i, 1, "warm-up")))
        {
            Bind(insert, e);
            insert.ExecuteNonQuery();
        }

        var clock = Stopwatch.StartNew();
        foreach (var e in events)
        {
            Bind(insert, e);
            insert.ExecuteNonQuery();
        }

        report(new Measurement("raw", "sqlite", "P1", events.Count, clock.Elapsed.TotalSeconds, Measurement.Rate(events.Count, clock.Elapsed), Note: "prepared INSERT, autocommit"));
        return CLimit.SingleAppendsAsync(target, settings, trial, report);
    }

    /// <summary>P2 limit: every event in one transaction through one prepared command.</summary>
    public Task BulkLoadAsync()
    {
        _main = Open("raw-main");
        var all = workload.All().ToList();
        var load = Stopwatch.StartNew();
        using (var transaction = _main.BeginTransaction())
        {
            using var insert = Prepare(_main);
            insert.Transaction = transaction;
            foreach (var e in all)
            {
                Bind(insert, e);
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        report(new Measurement("raw", "sqlite", "P2", all.Count, load.Elapsed.TotalSeconds, Measurement.Rate(all.Count, load.Elapsed), Note: "one transaction, prepared INSERT"));
        return CLimit.BulkAsync(target, workload, settings, report);
    }

    /// <summary>P4 limit: an ordered scan reading every column.</summary>
    public Task ReadAllAsync()
    {
        using var scan = _main!.CreateCommand();
        scan.CommandText = """SELECT "offset", id, run_id, turn, kind, actor, payload, created_at, schema_version, session_id, model_profile, model_id FROM events ORDER BY "offset" """;
        var read = Stopwatch.StartNew();
        long count = 0, checksum = 0;
        using (var reader = scan.ExecuteReader())
        {
            while (reader.Read())
            {
                checksum += reader.GetInt64(0) + reader.GetString(1).Length + reader.GetString(2).Length + reader.GetInt32(3) + reader.GetString(4).Length
                    + reader.GetString(5).Length + reader.GetString(6).Length + reader.GetString(7).Length + reader.GetInt32(8)
                    + (reader.IsDBNull(9) ? 0 : reader.GetString(9).Length) + (reader.IsDBNull(10) ? 0 : reader.GetString(10).Length)
                    + (reader.IsDBNull(11) ? 0 : reader.GetString(11).Length);
                count++;
            }
        }

        report(new Measurement("raw", "sqlite", "P4", count, read.Elapsed.TotalSeconds, Measurement.Rate(count, read.Elapsed), Note: $"ordered scan, every column (checksum {checksum % 1000})"));
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _main?.Dispose();
        return ValueTask.CompletedTask;
    }

    public static string Version()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sqlite_version()";
        return (string)command.ExecuteScalar()!;
    }

    private SqliteConnection Open(string name)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = target.NewStore(name), Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;" + Table;
        command.ExecuteNonQuery();
        return connection;
    }

    private static SqliteCommand Prepare(SqliteConnection connection)
    {
        var command = connection.CreateCommand();
        command.CommandText = Insert;
        foreach (var name in new[] { "$id", "$run_id", "$turn", "$kind", "$actor", "$payload", "$created_at", "$schema_version", "$session_id", "$model_profile", "$model_id" })
        {
            command.Parameters.Add(new SqliteParameter(name, null));
        }

        command.Prepare();
        return command;
    }

    private static void Bind(SqliteCommand command, LedgerEvent e)
    {
        var p = command.Parameters;
        p[0].Value = e.Id;
        p[1].Value = e.RunId;
        p[2].Value = e.Turn;
        p[3].Value = e.Kind;
        p[4].Value = e.Actor;
        p[5].Value = e.Payload;
        p[6].Value = Timestamps.Format(e.CreatedAt);
        p[7].Value = e.SchemaVersion;
        p[8].Value = (object?)e.SessionId ?? DBNull.Value;
        p[9].Value = (object?)e.ModelProfile ?? DBNull.Value;
        p[10].Value = (object?)e.ModelId ?? DBNull.Value;
    }
}
