using AgentLedger.Storage;
using Microsoft.Data.Sqlite;

namespace AgentLedger.Sqlite;

/// <summary>
/// The SQLite layout as numbered steps, applied in order in one IMMEDIATE transaction when a file is
/// opened; <c>PRAGMA user_version</c> records the last step applied (0: a file AgentLedger has not opened,
/// such as one the reference wrote).
/// </summary>
internal static class SqliteMigrations
{
    /// <summary>Each step, by the version it brings the file to.</summary>
    public static readonly (int Version, string Name, Action<SqliteConnection> Apply)[] Steps =
    [
        (1, "the reference's events table (later columns added, its indexes unless an equal one exists) and the run index", ReferenceLayout),
        (2, "offsets never reused: a table without AUTOINCREMENT (the reference's SQL-toolkit layout) rebuilt with it", NeverReuseOffsets),
    ];

    /// <summary>The newest layout this build knows.</summary>
    public static int Latest => Steps[^1].Version;

    /// <summary>Applies the steps after <paramref name="from"/>; the caller holds the write transaction.</summary>
    public static IEnumerable<(int Version, string Name)> Apply(SqliteConnection connection, int from)
    {
        foreach (var (version, name, apply) in Steps)
        {
            if (version > from)
            {
                apply(connection);
                Execute(connection, $"PRAGMA user_version = {version}");
                yield return (version, name);
            }
        }
    }

    private static void ReferenceLayout(SqliteConnection connection)
    {
        Execute(connection, SqliteSql.CreateEvents);
        var columns = ReadList(connection, SqliteSql.TableColumns).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var column in EnvelopeColumns.Later)
        {
            if (!columns.Contains(column))
            {
                Execute(connection, $"ALTER TABLE events ADD COLUMN {column} TEXT");
            }
        }

        // The reference's SQL-toolkit files index the same columns under ix_* names: do not index twice.
        var indexed = ReadList(connection, SqliteSql.IndexedColumnLists).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, indexColumns) in SqliteSql.Indexes)
        {
            if (!indexed.Contains(indexColumns.Replace("\"", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal)))
            {
                Execute(connection, $"CREATE INDEX IF NOT EXISTS {name} ON events ({indexColumns})");
            }
        }

        Execute(connection, SqliteSql.CreateRuns);
    }

    /// <summary>
    /// Without AUTOINCREMENT SQLite hands out max(offset) + 1, so after a reset (ours or the reference's)
    /// offsets start again at 1 and a follower past them never sees the new events. The table is rebuilt
    /// with AUTOINCREMENT, every row and index kept (the indexes under their own names, so the reference
    /// still finds its own); <c>sqlite_sequence</c> then carries the high-water mark across any reset.
    /// </summary>
    private static void NeverReuseOffsets(SqliteConnection connection)
    {
        var table = ReadList(connection, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'").Single();
        if (table.Contains("AUTOINCREMENT", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        var indexes = ReadList(connection, "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL");
        var columns = SqliteSql.Columns;
        Execute(connection, "ALTER TABLE events RENAME TO events_before_autoincrement");
        Execute(connection, SqliteSql.CreateEvents);
        Execute(connection, $"INSERT INTO events ({columns}) SELECT {columns} FROM events_before_autoincrement ORDER BY \"offset\"");
        Execute(connection, "DROP TABLE events_before_autoincrement");
        foreach (var index in indexes)
        {
            Execute(connection, index);
        }
    }

    public static List<string> ReadList(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
