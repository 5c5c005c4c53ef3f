using Microsoft.Data.Sqlite;

namespace AgentLedger.Sqlite;

public sealed partial class SqliteLedger
{
    private static SqliteLedger Open(string path, SqliteLedgerOptions options, bool deleteOnDispose)
    {
        var exists = File.Exists(path);
        if (!exists && (!options.CreateIfMissing || options.ReadOnly))
        {
            throw new LedgerNotFoundException(path, "no ledger file here (check the path, or create it by appending to it first)");
        }

        if (!exists && !Directory.Exists(System.IO.Path.GetDirectoryName(path)))
        {
            throw new LedgerStorageException(path, "the folder for this ledger file does not exist");
        }

        // A write-protected file can still be read: fall back to read-only instead of failing to open.
        var readOnly = options.ReadOnly || (exists && IsWriteProtected(path));
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
        };
        var connectionString = builder.ToString();
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            var (version, columns) = readOnly
                ? InspectReadOnly(connection, path)
                : Prepare(connection, path, options);
            var ledger = new SqliteLedger(
                path, connectionString, readOnly ? null : connection, options, version, columns,
                deleteOnDispose ? path : null);
            if (readOnly)
            {
                connection.Dispose();
            }

            return ledger;
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            SqliteConnection.ClearPool(connection);
            throw Translate(path, ex);
        }
        catch
        {
            connection.Dispose();
            SqliteConnection.ClearPool(connection);
            throw;
        }
    }

    private static (int Version, string Columns) Prepare(SqliteConnection connection, string path, SqliteLedgerOptions options)
    {
        // The first statement reads the header: a file that is not a database fails here, untouched.
        var version = ReadUserVersion(connection, path);
        Execute(connection, $"PRAGMA busy_timeout = {(long)options.BusyTimeout.TotalMilliseconds}");
        var journal = Scalar<string>(connection, "PRAGMA journal_mode = WAL");
        if (!string.Equals(journal, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new LedgerStorageException(path, $"could not switch the journal to WAL (it is '{journal}')");
        }

        Execute(connection, options.Synchronous == SqliteSynchronous.Full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
        if (version < SqliteSql.SchemaVersion)
        {
            Upgrade(connection, path);
        }

        return (SqliteSql.SchemaVersion, SqliteSql.Columns);
    }

    /// <summary>Creates or upgrades the layout in one transaction; safe when two processes open the file at once.</summary>
    private static void Upgrade(SqliteConnection connection, string path)
    {
        using var transaction = connection.BeginTransaction(deferred: false);

        // Another process may have upgraded while we waited for the write lock.
        if (ReadUserVersion(connection, path) >= SqliteSql.SchemaVersion)
        {
            return;
        }

        Execute(connection, SqliteSql.CreateEvents);
        var columns = ReadColumns(connection);
        foreach (var column in SqliteSql.LaterColumns)
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
        Execute(connection, $"PRAGMA user_version = {SqliteSql.SchemaVersion}");
        transaction.Commit();
    }

    private static (int Version, string Columns) InspectReadOnly(SqliteConnection connection, string path)
    {
        var version = ReadUserVersion(connection, path);
        var columns = ReadColumns(connection);
        if (columns.Count == 0)
        {
            throw new LedgerNotFoundException(path, "this SQLite file holds no ledger (no 'events' table), and it is opened read-only");
        }

        // An old file we may not upgrade is read as it is: the later columns read as null.
        var select = string.Join(", ", SqliteSql.Columns.Split(", ").Select(c => columns.Contains(c.Trim('"')) ? c : $"NULL AS {c}"));
        return (version, select);
    }

    private static int ReadUserVersion(SqliteConnection connection, string path)
    {
        var version = (int)Scalar<long>(connection, "PRAGMA user_version");
        if (version > SqliteSql.SchemaVersion)
        {
            throw new LedgerStorageException(
                path, $"the file's layout version is {version}, newer than this AgentLedger knows ({SqliteSql.SchemaVersion}); upgrade AgentLedger");
        }

        return version;
    }

    private static HashSet<string> ReadColumns(SqliteConnection connection)
        => ReadList(connection, SqliteSql.TableColumns).ToHashSet(StringComparer.OrdinalIgnoreCase);

    private static List<string> ReadList(SqliteConnection connection, string sql)
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

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static T Scalar<T>(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)command.ExecuteScalar()!;
    }

    private static bool IsWriteProtected(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }
}
