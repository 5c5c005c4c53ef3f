using Microsoft.Data.Sqlite;

namespace AgentLedger.Sqlite.Tests;

/// <summary>Files as the reference Python engine writes them, made with raw SQL.</summary>
internal static class ReferenceFiles
{
    /// <summary>The reference's first layout: no session_id, model_profile, model_id.</summary>
    public static void CreateOldLayout(string path) => Execute(path, """
        CREATE TABLE events (
            "offset" INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT UNIQUE NOT NULL,
            run_id TEXT NOT NULL,
            turn INTEGER NOT NULL,
            kind TEXT NOT NULL,
            actor TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at TEXT NOT NULL,
            schema_version INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX idx_events_run_offset ON events(run_id, "offset");
        CREATE INDEX idx_events_kind ON events(kind);
        CREATE INDEX idx_events_actor ON events(actor);
        """);

    /// <summary>The reference's plain SQLite backend, current layout.</summary>
    public static void CreateReferenceLayout(string path)
    {
        CreateOldLayout(path);
        Execute(path, """
            ALTER TABLE events ADD COLUMN session_id TEXT;
            ALTER TABLE events ADD COLUMN model_profile TEXT;
            ALTER TABLE events ADD COLUMN model_id TEXT;
            CREATE INDEX idx_events_session_id ON events(session_id);
            CREATE INDEX idx_events_model_id ON events(model_id);
            """);
    }

    /// <summary>The reference's SQL-toolkit backend: plain integer key, VARCHAR/DATETIME, ix_* indexes.</summary>
    public static void CreateToolkitLayout(string path) => Execute(path, """
        CREATE TABLE events (
            "offset" INTEGER NOT NULL,
            id VARCHAR(64) NOT NULL,
            run_id VARCHAR NOT NULL,
            turn INTEGER NOT NULL,
            kind VARCHAR NOT NULL,
            actor VARCHAR NOT NULL,
            payload TEXT NOT NULL,
            created_at DATETIME NOT NULL,
            schema_version INTEGER NOT NULL,
            session_id VARCHAR,
            model_profile VARCHAR,
            model_id VARCHAR,
            PRIMARY KEY ("offset"),
            UNIQUE (id)
        );
        CREATE INDEX ix_events_run_offset ON events (run_id, "offset");
        CREATE INDEX ix_events_kind ON events (kind);
        CREATE INDEX ix_events_actor ON events (actor);
        CREATE INDEX ix_events_session_id ON events (session_id);
        CREATE INDEX ix_events_model_id ON events (model_id);
        """);

    public static void InsertRow(
        string path, string id, string run, int turn, string kind, string actor, string payload, string createdAt,
        string? session = null, string? modelId = null, bool withLaterColumns = true)
    {
        using var connection = Open(path);
        using var command = connection.CreateCommand();
        command.CommandText = withLaterColumns
            ? "INSERT INTO events (id, run_id, turn, kind, actor, payload, created_at, schema_version, session_id, model_profile, model_id) VALUES ($id, $run, $turn, $kind, $actor, $payload, $created_at, 1, $session, NULL, $model)"
            : "INSERT INTO events (id, run_id, turn, kind, actor, payload, created_at, schema_version) VALUES ($id, $run, $turn, $kind, $actor, $payload, $created_at, 1)";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$run", run);
        command.Parameters.AddWithValue("$turn", turn);
        command.Parameters.AddWithValue("$kind", kind);
        command.Parameters.AddWithValue("$actor", actor);
        command.Parameters.AddWithValue("$payload", payload);
        command.Parameters.AddWithValue("$created_at", createdAt);
        command.Parameters.AddWithValue("$session", (object?)session ?? DBNull.Value);
        command.Parameters.AddWithValue("$model", (object?)modelId ?? DBNull.Value);
        command.ExecuteNonQuery();
    }

    public static void Execute(string path, string sql)
    {
        using var connection = Open(path);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public static long Scalar(string path, string sql)
    {
        using var connection = Open(path);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    public static string Text(string path, string sql)
    {
        using var connection = Open(path);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (string)command.ExecuteScalar()!;
    }

    private static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }
}
