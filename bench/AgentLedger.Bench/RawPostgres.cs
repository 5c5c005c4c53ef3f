using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace AgentLedger.Bench;

/// <summary>The plainest Npgsql code on the same server and the same table: the limit AgentLedger is measured against.</summary>
internal sealed class RawPostgres(PostgresTarget target, Workload workload, Settings settings, Action<Measurement> report) : IRawLimits
{
    private const string Table = """
        CREATE TABLE events (
            "offset" bigserial PRIMARY KEY, id varchar(64) NOT NULL UNIQUE, run_id varchar NOT NULL, turn integer NOT NULL,
            kind varchar NOT NULL, actor varchar NOT NULL, payload text NOT NULL, created_at timestamptz NOT NULL,
            schema_version integer NOT NULL DEFAULT 1, session_id varchar, model_profile varchar, model_id varchar);
        CREATE INDEX ix_events_run_offset ON events (run_id, "offset");
        CREATE INDEX ix_events_kind ON events (kind);
        CREATE INDEX ix_events_actor ON events (actor);
        CREATE INDEX ix_events_session_id ON events (session_id);
        CREATE INDEX ix_events_model_id ON events (model_id);
        """;

    private NpgsqlDataSource? _main;

    /// <summary>P1 limit: single-row autocommit INSERT ... ON CONFLICT DO NOTHING, prepared.</summary>
    public async Task SingleAppendsAsync(int trial)
    {
        await using var source = await OpenAsync($"raw_p1_{trial}");
        var events = Enumerable.Range(0, settings.SingleAppends).Select(i => Workload.Event(i, workload.TurnsPerRun, "p1")).ToList();
        await using var connection = await source.OpenConnectionAsync();
        await using var insert = NewInsert(connection);
        await insert.PrepareAsync();
        foreach (var e in Enumerable.Range(0, settings.WarmUp).Select(i => Workload.Event(i, 1, "warm-up")))
        {
            Bind(insert, e);
            await insert.ExecuteNonQueryAsync();
        }
        var clock = Stopwatch.StartNew();
        foreach (var e in events)
        {
            Bind(insert, e);
            await insert.ExecuteNonQueryAsync();
        }

        report(new Measurement("raw", "postgres", "P1", events.Count, clock.Elapsed.TotalSeconds, Measurement.Rate(events.Count, clock.Elapsed), Note: "prepared INSERT ON CONFLICT DO NOTHING, autocommit"));
    }

    /// <summary>
    /// H limit: <paramref name="connections"/> connections, each a loop of the plain prepared single-row INSERT
    /// (autocommit, ON CONFLICT DO NOTHING as in P1) for <paramref name="duration"/>: what the server's commit
    /// path allows that many concurrent writers.
    /// </summary>
    public async Task ConcurrentInsertsAsync(int connections, TimeSpan duration)
    {
        await using var source = await OpenAsync($"raw_h{connections}");
        var counts = new int[connections];
        var ready = new CountdownEvent(connections);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var deadline = long.MaxValue;
        var writers = Enumerable.Range(0, connections).Select(w => Task.Run(async () =>
        {
            await using var connection = await source.OpenConnectionAsync();
            await using var insert = NewInsert(connection);
            await insert.PrepareAsync();
            ready.Signal();
            await go.Task;
            for (var i = 0; Stopwatch.GetTimestamp() < Volatile.Read(ref deadline); i++)
            {
                Bind(insert, Workload.Event(i, 100, $"h{w}"));
                await insert.ExecuteNonQueryAsync();
                counts[w]++;
            }
        })).ToList();
        await Task.Run(() => ready.Wait());
        ready.Dispose();
        var clock = Stopwatch.StartNew();
        Volatile.Write(ref deadline, Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency));
        go.SetResult();
        await Task.WhenAll(writers);
        var total = counts.Sum();
        report(new Measurement("raw", "postgres", $"H{connections}", total, clock.Elapsed.TotalSeconds, Measurement.Rate(total, clock.Elapsed),
            Note: $"{connections} connections, prepared INSERT each, autocommit"));
    }

    private static async Task CopyAsync(NpgsqlDataSource source, IEnumerable<LedgerEvent> events)
    {
        await using var connection = await source.OpenConnectionAsync();
        await using var writer = await connection.BeginBinaryImportAsync(
            "COPY events (id, run_id, turn, kind, actor, payload, created_at, schema_version, session_id, model_profile, model_id) FROM STDIN (FORMAT BINARY)");
        foreach (var e in events)
        {
            await writer.StartRowAsync();
            await writer.WriteAsync(e.Id, NpgsqlDbType.Varchar);
            await writer.WriteAsync(e.RunId, NpgsqlDbType.Varchar);
            await writer.WriteAsync(e.Turn, NpgsqlDbType.Integer);
            await writer.WriteAsync(e.Kind, NpgsqlDbType.Varchar);
            await writer.WriteAsync(e.Actor, NpgsqlDbType.Varchar);
            await writer.WriteAsync(e.Payload, NpgsqlDbType.Text);
            await writer.WriteAsync(e.CreatedAt.UtcDateTime, NpgsqlDbType.TimestampTz);
            await writer.WriteAsync(e.SchemaVersion, NpgsqlDbType.Integer);
            await writer.WriteAsync(e.SessionId, NpgsqlDbType.Varchar);
            await writer.WriteAsync(e.ModelProfile, NpgsqlDbType.Varchar);
            await writer.WriteAsync(e.ModelId, NpgsqlDbType.Varchar);
        }

        await writer.CompleteAsync();
    }

    private static NpgsqlCommand NewInsert(NpgsqlConnection connection)
    {
        var insert = new NpgsqlCommand(
            "INSERT INTO events (id, run_id, turn, kind, actor, payload, created_at, schema_version, session_id, model_profile, model_id) "
            + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING", connection);
        for (var i = 0; i < 11; i++)
        {
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = i is 2 or 7 ? NpgsqlDbType.Integer : i == 6 ? NpgsqlDbType.TimestampTz : NpgsqlDbType.Text });
        }

        return insert;
    }

    /// <summary>P2 limit: binary COPY of every event.</summary>
    public async Task BulkLoadAsync()
    {
        _main = await OpenAsync("raw_main");
        var main = _main;
        var all = workload.All().ToList();

        // Warmed (JIT) on a scratch table first, as AgentLedger's bulk path is.
        await using (var warm = await OpenAsync("raw_warm_bulk"))
        {
            await CopyAsync(warm, Enumerable.Range(0, 1000).Select(i => Workload.Event(i, 100, "warm-bulk")));
        }

        var load = Stopwatch.StartNew();
        await CopyAsync(main, all);
        report(new Measurement("raw", "postgres", "P2", all.Count, load.Elapsed.TotalSeconds, Measurement.Rate(all.Count, load.Elapsed), Note: "binary COPY"));

    }

    /// <summary>P4 limit: one ordered scan reading every column.</summary>
    public async Task ReadAllAsync()
    {
        var main = _main!;
        await using var scan = main.CreateCommand(
            """SELECT "offset", id, run_id, turn, kind, actor, payload, created_at, schema_version, session_id, model_profile, model_id FROM events ORDER BY "offset" """);
        var read = Stopwatch.StartNew();
        long count = 0, checksum = 0;
        await using (var reader = await scan.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                checksum += reader.GetInt64(0) + reader.GetString(1).Length + reader.GetString(2).Length + reader.GetInt32(3) + reader.GetString(4).Length
                    + reader.GetString(5).Length + reader.GetString(6).Length + reader.GetFieldValue<DateTime>(7).Ticks % 7 + reader.GetInt32(8)
                    + (reader.IsDBNull(9) ? 0 : reader.GetString(9).Length) + (reader.IsDBNull(10) ? 0 : reader.GetString(10).Length)
                    + (reader.IsDBNull(11) ? 0 : reader.GetString(11).Length);
                count++;
            }
        }

        report(new Measurement("raw", "postgres", "P4", count, read.Elapsed.TotalSeconds, Measurement.Rate(count, read.Elapsed), Note: $"one ordered scan, every column (checksum {checksum % 1000})"));
    }

    public async ValueTask DisposeAsync()
    {
        if (_main is not null)
        {
            await _main.DisposeAsync();
        }
    }

    public async Task<string> DescribeServerAsync()
    {
        await using var admin = target.AdminDataSource();
        await using var command = admin.CreateCommand(
            "SELECT 'PostgreSQL ' || current_setting('server_version') || ', fsync=' || current_setting('fsync') || ', synchronous_commit=' || current_setting('synchronous_commit') "
            + "|| ', full_page_writes=' || current_setting('full_page_writes') || ', shared_buffers=' || current_setting('shared_buffers') || ', wal_level=' || current_setting('wal_level')");
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private async Task<NpgsqlDataSource> OpenAsync(string name)
    {
        var url = target.NewStore(name);
        var builder = new NpgsqlConnectionStringBuilder(AgentLedger.Postgres.PostgresLedger.ToConnectionString(url));
        await using (var admin = target.AdminDataSource())
        await using (var create = admin.CreateCommand($"CREATE SCHEMA {builder.SearchPath}"))
        {
            await create.ExecuteNonQueryAsync();
        }

        var source = NpgsqlDataSource.Create(builder.ConnectionString);
        await using var table = source.CreateCommand(Table);
        await table.ExecuteNonQueryAsync();
        return source;
    }

    private static void Bind(NpgsqlCommand command, LedgerEvent e)
    {
        var p = command.Parameters;
        p[0].Value = e.Id;
        p[1].Value = e.RunId;
        p[2].Value = e.Turn;
        p[3].Value = e.Kind;
        p[4].Value = e.Actor;
        p[5].Value = e.Payload;
        p[6].Value = e.CreatedAt.UtcDateTime;
        p[7].Value = e.SchemaVersion;
        p[8].Value = (object?)e.SessionId ?? DBNull.Value;
        p[9].Value = (object?)e.ModelProfile ?? DBNull.Value;
        p[10].Value = (object?)e.ModelId ?? DBNull.Value;
    }
}
