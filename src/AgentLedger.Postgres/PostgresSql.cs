using AgentLedger.Storage;

namespace AgentLedger.Postgres;

/// <summary>Every statement the PostgreSQL backend runs, in one place.</summary>
/// <remarks>
/// The <c>events</c> table is the reference's (same names, constraints and indexes), with a 64-bit
/// offset; AgentLedger adds <c>ledger_schema</c> (the layout version) and <c>ledger_runs</c> (each run's
/// first offset, written by the append statements themselves: a trigger cost a third of a single append).
/// </remarks>
internal static class PostgresSql
{
    /// <summary>Every stored column, the offset first, in <see cref="EnvelopeColumns"/> order.</summary>
    public static readonly string Columns = EnvelopeColumns.List(EnvelopeColumns.All, Quote);

    private static readonly string InsertColumns = EnvelopeColumns.List(EnvelopeColumns.Envelope, Quote);

    public const string ReadSchemaVersion = "SELECT version FROM ledger_schema";

    /// <summary>Serialises migrations between processes opening the same database at once.</summary>
    public const string MigrationLock = "SELECT pg_advisory_xact_lock(hashtextextended('agentledger.migrate.' || current_schema(), 0))";

    /// <summary>The layout as numbered steps; each ends by recording its version in <c>ledger_schema</c>.</summary>
    public static readonly (int Version, string Name, string Sql)[] Migrations =
    [
        (1, "the reference's events table with a 64-bit offset (later columns added, 32-bit offset widened) and its indexes", ReferenceLayout),
        (2, "the offset sequence draws one value at a time (CACHE 1), so offsets are drawn in one global order", SequenceCacheOne),
        (3, "ledger_runs: every run with its first offset, kept by the append statements, filled from the events", RunsTable),
    ];

    /// <summary>The newest layout this build knows.</summary>
    public static int LatestVersion => Migrations[^1].Version;

    public const string RecordVersion = "WITH cleared AS (DELETE FROM ledger_schema) INSERT INTO ledger_schema (version) VALUES ($1)";

    /// <summary>
    /// A follower's horizon relies on g &lt; m meaning g was drawn first; with CACHE &gt; 1 every session draws
    /// from a block of its own. bigserial's default is 1 already; this makes it so for any table we adopt.
    /// </summary>
    private const string SequenceCacheOne = """
        DO $$
        BEGIN
            IF (SELECT cache_size FROM pg_sequences
                WHERE schemaname = current_schema()
                  AND sequencename = split_part(pg_get_serial_sequence(quote_ident(current_schema()) || '.events', 'offset'), '.', 2)) > 1 THEN
                EXECUTE format('ALTER SEQUENCE %s CACHE 1', pg_get_serial_sequence(quote_ident(current_schema()) || '.events', 'offset'));
            END IF;
        END $$;
        """;

    /// <summary>
    /// One row per run, written by the append statement itself (a data-modifying CTE, no trigger): listing runs
    /// reads this table instead of probing the events index once per run. Insert-only (ON CONFLICT DO NOTHING),
    /// so appends to an existing run take no row lock and never wait for each other; only two writers starting
    /// the same new run at once wait briefly (and then the first offset kept may be the other's).
    /// </summary>
    private const string RunsTable = """
        -- Exclusively, as every earlier AgentLedger append takes this lock: appends in flight finish first, so the back-fill misses none.
        SELECT pg_advisory_xact_lock(hashtextextended('agentledger.append.' || current_schema(), 0));
        CREATE TABLE IF NOT EXISTS ledger_runs (run_id varchar PRIMARY KEY, first_offset bigint NOT NULL);
        CREATE INDEX IF NOT EXISTS ix_ledger_runs_first_offset ON ledger_runs (first_offset);
        INSERT INTO ledger_runs (run_id, first_offset)
        SELECT run_id, min("offset") FROM events GROUP BY run_id
        ON CONFLICT (run_id) DO NOTHING;
        """;

    /// <summary>The runs of the rows a CTE named <c>ins</c> (returning offset and run_id) stored.</summary>
    private const string KeepRuns = """
        runs AS (
            INSERT INTO ledger_runs (run_id, first_offset)
            SELECT run_id, min("offset") FROM ins GROUP BY run_id
            ON CONFLICT (run_id) DO NOTHING)
        """;

    private const string ReferenceLayout = """
        CREATE TABLE IF NOT EXISTS events (
            "offset"       bigserial PRIMARY KEY,
            id             varchar(64) NOT NULL UNIQUE,
            run_id         varchar NOT NULL,
            turn           integer NOT NULL,
            kind           varchar NOT NULL,
            actor          varchar NOT NULL,
            payload        text NOT NULL,
            created_at     timestamp with time zone NOT NULL,
            schema_version integer NOT NULL DEFAULT 1,
            session_id     varchar,
            model_profile  varchar,
            model_id       varchar
        );
        ALTER TABLE events ADD COLUMN IF NOT EXISTS session_id varchar;
        ALTER TABLE events ADD COLUMN IF NOT EXISTS model_profile varchar;
        ALTER TABLE events ADD COLUMN IF NOT EXISTS model_id varchar;
        DO $$
        BEGIN
            -- The reference's offset is a 32-bit serial: widen it in place (a table rewrite, once).
            IF (SELECT data_type FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = 'events' AND column_name = 'offset') = 'integer' THEN
                ALTER TABLE events ALTER COLUMN "offset" TYPE bigint;
                EXECUTE format('ALTER SEQUENCE %s AS bigint', pg_get_serial_sequence(quote_ident(current_schema()) || '.events', 'offset'));
            END IF;
        END $$;
        CREATE INDEX IF NOT EXISTS ix_events_run_offset ON events (run_id, "offset");
        CREATE INDEX IF NOT EXISTS ix_events_kind ON events (kind);
        CREATE INDEX IF NOT EXISTS ix_events_actor ON events (actor);
        CREATE INDEX IF NOT EXISTS ix_events_session_id ON events (session_id);
        CREATE INDEX IF NOT EXISTS ix_events_model_id ON events (model_id);

        CREATE TABLE IF NOT EXISTS ledger_schema (version integer NOT NULL);
        """;

    /// <summary>
    /// Every AgentLedger write takes this lock on the ledger's key before it draws any offset, and holds it to
    /// its end. Shared, so writers never wait for each other; a follower at a gap asks which transactions hold
    /// it (<see cref="Horizon"/>) and waits for exactly those (see docs in PostgresLedger.Horizon.cs).
    /// </summary>
    public const string AppendLock = "SELECT pg_advisory_xact_lock_shared($1)";

    /// <summary>
    /// The same lock exclusive: <c>ordered_commits=true</c> appends (offsets then become visible in the order
    /// drawn, for foreign readers that follow with a naive <c>offset &gt; n</c>), and reset and restore, which
    /// must not interleave with any append.
    /// </summary>
    public const string OrderedLock = "SELECT pg_advisory_xact_lock($1)";

    /// <summary>The granted holders of the ledger's append lock (a bigint key: high half in classid, low half in objid).</summary>
    private const string Holders = """
        SELECT l.virtualtransaction FROM pg_locks l
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
          AND l.classid = $2::bigint::oid AND l.objid = $3::bigint::oid
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        """;

    /// <summary>
    /// From a settled offset $1: how far offsets run on without a gap (at most $4 rows looked at), the highest
    /// visible offset, and, only when there is a gap, who holds the append lock now (after this statement's
    /// snapshot was taken, which is what makes the wait sufficient).
    /// </summary>
    public static readonly string Horizon = $"""
        WITH next AS (
            SELECT o, row_number() OVER (ORDER BY o) AS n
            FROM (SELECT "offset" AS o FROM events WHERE "offset" > $1 ORDER BY "offset" LIMIT $4) AS s),
        edge AS (
            SELECT COALESCE(max(o) FILTER (WHERE o = $1 + n), $1) AS contiguous,
                   GREATEST((SELECT max("offset") FROM events), $1) AS top
            FROM next)
        SELECT contiguous, top,
               CASE WHEN top > contiguous THEN ARRAY({Holders}) ELSE ARRAY[]::text[] END
        FROM edge
        """;

    /// <summary>Whether any of the transactions $1 (virtual ids from <see cref="Horizon"/>) still holds the append lock.</summary>
    public static readonly string HoldersAlive = $"SELECT EXISTS ({Holders} AND l.virtualtransaction = ANY($1))";

    /// <summary>
    /// One new event, or no row when its id is stored already (then <see cref="SelectById"/> tells which).
    /// NOT EXISTS first, because ON CONFLICT draws a sequence value even for a row it then drops.
    /// </summary>
    public static readonly string AppendOne = $"""
        WITH ins AS (
            INSERT INTO events ({InsertColumns})
            SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11
            WHERE NOT EXISTS (SELECT 1 FROM events WHERE id = $1)
            ON CONFLICT (id) DO NOTHING
            RETURNING "offset", run_id),
        {KeepRuns}
        SELECT "offset", pg_current_xact_id()::text::bigint FROM ins
        """;

    /// <summary>
    /// A stored event and the transaction that wrote it (<c>xmin</c>, 32 bits): after a retry, it tells our own
    /// lost-acknowledgement commit (a transaction newer than any seen before the call) from an older duplicate.
    /// </summary>
    public static readonly string SelectById = $"SELECT {Columns}, xmin::text::bigint FROM events WHERE id = $1";

    /// <summary>
    /// A batch's new events in one statement, the arrays unnested in order. The ids were looked up just before;
    /// ON CONFLICT meets only a concurrent writer of the same id (it waits for that one's end, then skips the row).
    /// </summary>
    public static readonly string AppendBatch = $"""
        WITH ins AS (
            INSERT INTO events ({InsertColumns})
            SELECT {InsertColumns}
            FROM unnest($1::varchar[], $2::varchar[], $3::integer[], $4::varchar[], $5::varchar[], $6::text[],
                        $7::timestamptz[], $8::integer[], $9::varchar[], $10::varchar[], $11::varchar[])
                WITH ORDINALITY AS t({InsertColumns}, ord)
            ORDER BY ord
            ON CONFLICT (id) DO NOTHING
            RETURNING id, "offset", run_id),
        {KeepRuns}
        SELECT id, "offset", pg_current_xact_id()::text::bigint FROM ins
        """;

    /// <summary>
    /// A large batch's new events, straight into the table by binary COPY (offsets drawn by the column default,
    /// in row order). COPY cannot skip a taken id: the ids were looked up just before, and a concurrent writer of
    /// the same id in between makes it fail, which rolls back to a savepoint and takes the INSERT path.
    /// </summary>
    public static readonly string CopyIn = $"COPY events ({InsertColumns}) FROM STDIN (FORMAT BINARY)";

    /// <summary>After a COPY: the offsets it drew, by id ($1), and the runs it started, in one round trip.</summary>
    public static readonly string CopiedOffsets = $"""
        WITH ins AS (SELECT id, "offset", run_id FROM events WHERE id = ANY($1)),
        {KeepRuns}
        SELECT id, "offset", pg_current_xact_id()::text::bigint FROM ins
        """;

    public static readonly string SelectByIds = $"SELECT {Columns}, xmin::text::bigint FROM events WHERE id = ANY($1)";

    public static readonly string Restore = $"""
        WITH ins AS (
            INSERT INTO events ({Columns})
            SELECT * FROM unnest($1::bigint[], $2::varchar[], $3::varchar[], $4::integer[], $5::varchar[], $6::varchar[], $7::text[],
                                 $8::timestamptz[], $9::integer[], $10::varchar[], $11::varchar[], $12::varchar[])
            RETURNING "offset", run_id),
        {KeepRuns}
        SELECT count(*) FROM ins
        """;

    /// <summary>After a restore with explicit offsets, the sequence must continue past them.</summary>
    public const string AdvanceSequence = """
        SELECT setval(pg_get_serial_sequence(quote_ident(current_schema()) || '.events', 'offset'),
                      GREATEST((SELECT COALESCE(max("offset"), 1) FROM events),
                               (SELECT last_value FROM pg_sequences
                                WHERE schemaname = current_schema()
                                  AND sequencename = split_part(pg_get_serial_sequence(quote_ident(current_schema()) || '.events', 'offset'), '.', 2))))
        """;

    /// <summary>bigint also over an older table's 32-bit offset (read-only, not widened).</summary>
    public const string LatestOffset = "SELECT COALESCE(max(\"offset\"), 0)::bigint FROM events";

    public const string Count = "SELECT count(*) FROM events";

    public const string SizeOnDisk = "SELECT pg_total_relation_size('events')";

    /// <summary>Runs in the order of their first event, from the runs table the appends keep.</summary>
    public const string ListRuns = "SELECT run_id FROM ledger_runs ORDER BY first_offset";

    /// <summary>
    /// For an older layout opened read-only (no runs table): a loose index scan of (run_id, offset), each step
    /// one index probe that finds the next run id together with its first offset, instead of reading every event.
    /// </summary>
    public const string ListRunsByIndex = """
        WITH RECURSIVE runs(run_id, first_offset) AS (
            (SELECT run_id, "offset" FROM events ORDER BY run_id, "offset" LIMIT 1)
            UNION ALL
            SELECT next.run_id, next."offset"
            FROM runs, LATERAL (
                SELECT e.run_id, e."offset" FROM events e
                WHERE e.run_id > runs.run_id
                ORDER BY e.run_id, e."offset" LIMIT 1) AS next
        )
        SELECT run_id FROM runs ORDER BY first_offset
        """;

    /// <summary>A page of runs by first offset: after $1 oldest first, or before $1 newest first; $2 at most. One index range read.</summary>
    public const string RunsPage = "SELECT run_id, first_offset FROM ledger_runs WHERE first_offset > $1 ORDER BY first_offset LIMIT $2";

    public const string RunsPageBackward = "SELECT run_id, first_offset FROM ledger_runs WHERE first_offset < $1 ORDER BY first_offset DESC LIMIT $2";

    /// <summary>The same page over an older layout opened read-only (no runs table): from the loose index scan.</summary>
    public static readonly string RunsPageByIndex = ListRunsByIndex.Replace(
        "SELECT run_id FROM runs ORDER BY first_offset", "SELECT run_id, first_offset::bigint FROM runs WHERE first_offset > $1 ORDER BY first_offset LIMIT $2", StringComparison.Ordinal);

    public static readonly string RunsPageByIndexBackward = ListRunsByIndex.Replace(
        "SELECT run_id FROM runs ORDER BY first_offset", "SELECT run_id, first_offset::bigint FROM runs WHERE first_offset < $1 ORDER BY first_offset DESC LIMIT $2", StringComparison.Ordinal);

    /// <summary>
    /// Wakes followers that LISTEN on the ledger's channel; sent after the appends' commits, in a transaction of
    /// its own. A notification needs a transaction id, so its commit would wait for a WAL flush: it need not
    /// (nothing durable is written), hence synchronous_commit off for that transaction alone.
    /// </summary>
    public const string Notify = "SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, '')";

    /// <summary>Where this connection's ledger lives, and the keys derived from it.</summary>
    public const string Identify = """
        SELECT current_schema(),
               hashtextextended('agentledger.append.' || current_schema(), 0),
               to_regclass('events') IS NOT NULL,
               to_regclass('ledger_schema') IS NOT NULL,
               pg_snapshot_xmax(pg_current_snapshot())::text::bigint,
               pg_is_in_recovery()
        """;

    /// <summary>Destructive. The sequence is not restarted: offsets are never reused, so followers stay exact.</summary>
    public const string Reset = "TRUNCATE events, ledger_runs";

    /// <summary>The columns of the table as it is (an older reference table may lack <see cref="EnvelopeColumns.Later"/>).</summary>
    public const string ExistingColumns = "SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'events'";

    /// <summary>The select list for a table that lacks <paramref name="missing"/> (read-only on an older layout): those read as NULL.</summary>
    public static string ColumnsFor(IReadOnlySet<string> missing)
        => missing.Count == 0 ? Columns : string.Join(", ", EnvelopeColumns.All.Select(c => missing.Contains(c) ? $"NULL::varchar AS {c}" : Quote(c)));

    public static string Select(EventQuery query, bool backward = false, IReadOnlySet<string>? missing = null)
    {
        var sql = new System.Text.StringBuilder($"SELECT {(missing is null ? Columns : ColumnsFor(missing))} FROM events WHERE \"offset\" > $1");
        var n = 1;
        if (query.UpTo is not null)
        {
            sql.Append(" AND \"offset\" <= $").Append(++n);
        }

        foreach (var (column, value) in EnvelopeColumns.Filters(query))
        {
            if (value is not null)
            {
                // A column the table lacks is NULL in every row: its filter matches nothing (the parameter stays numbered).
                sql.Append(" AND ").Append(missing?.Contains(column) == true ? "$" + (++n) + "::varchar IS NULL AND FALSE" : column + " = $" + (++n));
            }
        }

        sql.Append(backward ? " ORDER BY \"offset\" DESC" : " ORDER BY \"offset\"");
        if (query.Limit is not null)
        {
            sql.Append(" LIMIT $").Append(++n);
        }

        return sql.ToString();
    }

    public static string Quote(string column) => column == "offset" ? "\"offset\"" : column;
}
