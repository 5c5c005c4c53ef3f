using AgentLedger.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace AgentLedger.Sqlite;

public sealed partial class SqliteLedger
{
    private static SqliteLedger Open(string path, SqliteLedgerOptions options, bool deleteOnDispose, bool immutable = false)
    {
        var exists = File.Exists(path);
        if (!exists && (!options.CreateIfMissing || options.ReadOnly))
        {
            throw new LedgerNotFoundException(path, "no ledger file here (check the path, or create it by appending to it first)");
        }

        if (!exists && !Directory.Exists(System.IO.Path.GetDirectoryName(path)))
        {
            throw new LedgerNotFoundException(path, "the folder for this ledger file does not exist");
        }

        // A write-protected file can still be read: fall back to read-only instead of failing to open.
        var readOnly = options.ReadOnly || (exists && IsWriteProtected(path));
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = immutable ? $"file:{Uri.EscapeDataString(path).Replace("%2F", "/", StringComparison.Ordinal)}?immutable=1" : path,
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
        catch (SqliteException ex) when (readOnly && CanReadImmutable(path, ex) && !builder.DataSource.StartsWith("file:", StringComparison.Ordinal))
        {
            // A WAL file in a folder we may not write: SQLite cannot create its -shm file there. With no -wal
            // content left, the file alone is the whole ledger: read it as immutable (no locks, no -shm).
            connection.Dispose();
            SqliteConnection.ClearPool(connection);
            return Open(path, options with { ReadOnly = true }, deleteOnDispose, immutable: true);
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

    private static bool CanReadImmutable(string path, SqliteException ex)
        => ex.SqliteErrorCode is SqliteErrorCodes.ReadOnly or SqliteErrorCodes.CantOpen
           && !File.Exists(path + "-shm") && new FileInfo(path + "-wal") is { Exists: false } or { Length: 0 };

    private static (int Version, string Columns) Prepare(SqliteConnection connection, string path, SqliteLedgerOptions options)
    {
        // The first statement reads the header: a file that is not a database fails here, untouched.
        var version = ReadUserVersion(connection, path);
        Execute(connection, $"PRAGMA busy_timeout = {(long)options.BusyTimeout.TotalMilliseconds}");
        // A file not yet in WAL (the reference's rollback-journal files) is checked before anything changes it:
        // switching the journal rewrites its header, so a corrupt file must be refused while still untouched.
        if (!string.Equals(Scalar<string>(connection, "PRAGMA journal_mode"), "wal", StringComparison.OrdinalIgnoreCase)
            && Scalar<string>(connection, "PRAGMA quick_check") is var check && check != "ok")
        {
            throw new LedgerStorageException(LedgerErrorKind.Corrupt, path, $"the SQLite file is corrupt (the file was left untouched; quick_check: {check}); restore it from a copy");
        }

        var journal = Scalar<string>(connection, "PRAGMA journal_mode = WAL");
        if (!string.Equals(journal, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new LedgerStorageException(LedgerErrorKind.Other, path, $"could not switch the journal to WAL (it is '{journal}')");
        }

        Execute(connection, options.Synchronous == SqliteSynchronous.Full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
        if (version < SqliteMigrations.Latest)
        {
            Upgrade(connection, path, options.LoggerFactory?.CreateLogger("AgentLedger.Sqlite"));
        }

        return (SqliteMigrations.Latest, SqliteSql.Columns);
    }

    /// <summary>Applies the missing layout steps in one transaction; safe when two processes open the file at once.</summary>
    private static void Upgrade(SqliteConnection connection, string path, ILogger? logger)
    {
        using var transaction = connection.BeginTransaction(deferred: false);

        // Another process may have upgraded while we waited for the write lock.
        var from = ReadUserVersion(connection, path);
        foreach (var (version, name) in SqliteMigrations.Apply(connection, from))
        {
            if (logger is not null)
            {
                SqliteLog.LayoutStepApplied(logger, path, version, name);
            }
        }

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
        var select = EnvelopeColumns.List(EnvelopeColumns.All, c => columns.Contains(c) ? SqliteSql.Quote(c) : $"NULL AS {SqliteSql.Quote(c)}");
        return (version, select);
    }

    private static int ReadUserVersion(SqliteConnection connection, string path)
    {
        var version = (int)Scalar<long>(connection, "PRAGMA user_version");
        if (version > SqliteMigrations.Latest)
        {
            throw new LedgerStorageException(
                LedgerErrorKind.NewerLayout, path, $"the file's layout version is {version}, newer than this AgentLedger knows ({SqliteMigrations.Latest}); upgrade AgentLedger");
        }

        return version;
    }

    private static HashSet<string> ReadColumns(SqliteConnection connection)
        => SqliteMigrations.ReadList(connection, SqliteSql.TableColumns).ToHashSet(StringComparer.OrdinalIgnoreCase);

    private static void Execute(SqliteConnection connection, string sql) => SqliteMigrations.Execute(connection, sql);

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
