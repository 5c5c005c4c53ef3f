using System.Text;
using AgentLedger.Storage;

namespace AgentLedger.Sqlite;

/// <summary>Every statement the SQLite backend runs, in one place; column lists come from <see cref="EnvelopeColumns"/>.</summary>
/// <remarks>
/// The <c>events</c> table is the reference system's layout, column for column, so files move both
/// ways. What AgentLedger adds is additive: the <c>ledger_runs</c> run index and <c>ledger_state</c>,
/// brought up to date when runs are listed (so they stay right whoever appended, the reference included).
/// </remarks>
internal static class SqliteSql
{
    /// <summary>Every stored column, the offset first, in <see cref="EnvelopeColumns"/> order.</summary>
    public static readonly string Columns = EnvelopeColumns.List(EnvelopeColumns.All, Quote);

    private static readonly string InsertColumns = EnvelopeColumns.List(EnvelopeColumns.Envelope, Quote);
    private static readonly string InsertValues = EnvelopeColumns.List(EnvelopeColumns.Envelope, Parameter);

    public const string CreateEvents = """
        CREATE TABLE IF NOT EXISTS events (
            "offset"       INTEGER PRIMARY KEY AUTOINCREMENT,
            id             TEXT UNIQUE NOT NULL,
            run_id         TEXT NOT NULL,
            turn           INTEGER NOT NULL,
            kind           TEXT NOT NULL,
            actor          TEXT NOT NULL,
            payload        TEXT NOT NULL,
            created_at     TEXT NOT NULL,
            schema_version INTEGER NOT NULL DEFAULT 1,
            session_id     TEXT,
            model_profile  TEXT,
            model_id       TEXT
        )
        """;

    /// <summary>The reference's indexes: name and column list. Created only when no index on the same columns exists.</summary>
    public static readonly (string Name, string Columns)[] Indexes =
    [
        ("idx_events_run_offset", "run_id, \"offset\""),
        ("idx_events_kind", "kind"),
        ("idx_events_actor", "actor"),
        ("idx_events_session_id", "session_id"),
        ("idx_events_model_id", "model_id"),
    ];

    /// <summary>
    /// The run index: each run's first offset, plus how far the log has been indexed. Appends do not
    /// touch it (a per-row trigger halved bulk-load speed); listing runs first indexes the events
    /// appended since, by whoever wrote them (the reference included), in one short write transaction.
    /// </summary>
    public const string CreateRuns = """
        CREATE TABLE IF NOT EXISTS ledger_runs (
            run_id       TEXT PRIMARY KEY,
            first_offset INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS idx_ledger_runs_first_offset ON ledger_runs (first_offset);
        CREATE TABLE IF NOT EXISTS ledger_state (
            name  TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        );
        INSERT OR IGNORE INTO ledger_state (name, value) VALUES ('runs_indexed_up_to', 0);
        """;

    /// <summary>Watermark, latest offset, earliest offset, earliest indexed first offset: is the run index current?</summary>
    public const string RunIndexState = """
        SELECT (SELECT value FROM ledger_state WHERE name = 'runs_indexed_up_to'),
               (SELECT COALESCE(MAX("offset"), 0) FROM events),
               (SELECT MIN("offset") FROM events),
               (SELECT MIN(first_offset) FROM ledger_runs)
        """;

    public const string RunIndexWatermark = "SELECT value FROM ledger_state WHERE name = 'runs_indexed_up_to'";

    /// <summary>Indexes the runs of the events after the watermark.</summary>
    public const string IndexNewRuns = """
        INSERT OR IGNORE INTO ledger_runs (run_id, first_offset)
            SELECT run_id, MIN("offset") FROM events WHERE "offset" > $watermark GROUP BY run_id;
        UPDATE ledger_state SET value = $latest WHERE name = 'runs_indexed_up_to';
        """;

    /// <summary>After events were deleted (a reset by another tool), the index is rebuilt from the log.</summary>
    public const string RebuildRuns = """
        DELETE FROM ledger_runs;
        INSERT INTO ledger_runs (run_id, first_offset) SELECT run_id, MIN("offset") FROM events GROUP BY run_id;
        UPDATE ledger_state SET value = $latest WHERE name = 'runs_indexed_up_to';
        """;

    public const string TableColumns = "SELECT name FROM pragma_table_info('events')";

    /// <summary>Each index on <c>events</c> with its column list, e.g. <c>run_id,offset</c>.</summary>
    public const string IndexedColumnLists = """
        SELECT group_concat(ii.name, ',')
        FROM pragma_index_list('events') AS il, pragma_index_info(il.name) AS ii
        GROUP BY il.name
        """;

    /// <summary>
    /// A plain INSERT: a stored id surfaces as a UNIQUE violation (single appends) or was looked up first
    /// (batches, <see cref="SelectByIds"/>). Not ON CONFLICT DO NOTHING: SQLite draws an AUTOINCREMENT value
    /// even for a row it then drops, so every duplicate would leave a gap; not INSERT … SELECT … WHERE NOT
    /// EXISTS with RETURNING either: measured at 40% of a plain INSERT's speed. The offset is last_insert_rowid().
    /// </summary>
    public static readonly string Insert = $"INSERT INTO events ({InsertColumns}) VALUES ({InsertValues})";

    public static readonly string InsertWithOffset = $"INSERT INTO events (\"offset\", {InsertColumns}) VALUES ($offset, {InsertValues})";

    public const string LatestOffset = "SELECT COALESCE(MAX(\"offset\"), 0) FROM events";

    public const string Count = "SELECT COUNT(*) FROM events";

    /// <summary>Changes whenever another connection commits: the one cheap probe of the change notifier.</summary>
    public const string DataVersion = "PRAGMA data_version";

    public const string ListRuns = "SELECT run_id FROM ledger_runs ORDER BY first_offset";

    /// <summary>When the run index cannot be brought up to date (a read-only file): a scan of the (run_id, offset) index.</summary>
    public const string ListRunsFromLog = "SELECT run_id FROM events GROUP BY run_id ORDER BY MIN(\"offset\")";

    /// <summary>A page of runs by first offset from the run index: one index range read, whatever the number of runs.</summary>
    public const string RunsPage = "SELECT run_id, first_offset FROM ledger_runs WHERE first_offset > $after ORDER BY first_offset LIMIT $limit";

    public const string RunsPageBackward = "SELECT run_id, first_offset FROM ledger_runs WHERE first_offset < $before ORDER BY first_offset DESC LIMIT $limit";

    /// <summary>The same page without the run index (read-only, or the index busy): from the log.</summary>
    public const string RunsPageFromLog = "SELECT run_id, MIN(\"offset\") AS first FROM events GROUP BY run_id HAVING first > $after ORDER BY first LIMIT $limit";

    public const string RunsPageFromLogBackward = "SELECT run_id, MIN(\"offset\") AS first FROM events GROUP BY run_id HAVING first < $before ORDER BY first DESC LIMIT $limit";

    public const string Reset = """
        DELETE FROM ledger_runs;
        DELETE FROM events;
        UPDATE ledger_state SET value = 0 WHERE name = 'runs_indexed_up_to';
        """;

    public static string SelectById(string columns) => $"SELECT {columns} FROM events WHERE id = $id";

    /// <summary>The stored events among a batch's ids (a JSON array): one statement instead of a look-up per event.</summary>
    public static string SelectByIds(string columns) => $"SELECT {columns} FROM events WHERE id IN (SELECT value FROM json_each($ids))";

    /// <summary>The read query for a set of filters, oldest or newest first; parameters are named after the columns.</summary>
    public static string Select(string columns, EventQuery query, bool backward = false)
    {
        var sql = new StringBuilder($"SELECT {columns} FROM events WHERE \"offset\" > $after");
        if (query.UpTo is not null)
        {
            sql.Append(" AND \"offset\" <= $up_to");
        }

        foreach (var (column, value) in EnvelopeColumns.Filters(query))
        {
            if (value is not null)
            {
                sql.Append(" AND ").Append(column).Append(" = ").Append(Parameter(column));
            }
        }

        sql.Append(backward ? " ORDER BY \"offset\" DESC" : " ORDER BY \"offset\"");
        if (query.Limit is not null)
        {
            sql.Append(" LIMIT $limit");
        }

        return sql.ToString();
    }

    public static string Quote(string column) => column == "offset" ? "\"offset\"" : column;

    public static string Parameter(string column) => "$" + column;
}
