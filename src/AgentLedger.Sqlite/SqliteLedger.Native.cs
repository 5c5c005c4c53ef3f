using AgentLedger.Storage;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace AgentLedger.Sqlite;

public sealed partial class SqliteLedger
{
    /// <summary>
    /// A statement prepared once on a reader connection and stepped through SQLitePCLRaw directly, the layer
    /// Microsoft.Data.Sqlite itself stands on. Reads are the hot path (a whole log, a run, a tail): per row this
    /// skips the data reader's per-call type checks and boxing, and reads each column straight from SQLite's
    /// buffer. Errors become the same <see cref="SqliteException"/> (and so the same ledger errors).
    /// </summary>
    private sealed class NativeStatement : IDisposable
    {
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _statement;

        private NativeStatement(sqlite3 db, sqlite3_stmt statement) => (_db, _statement) = (db, statement);

        public static NativeStatement Prepare(SqliteConnection connection, string sql)
        {
            var db = connection.Handle!;
            var rc = raw.sqlite3_prepare_v3(db, sql, raw.SQLITE_PREPARE_PERSISTENT, out var statement, out _);
            Check(db, rc);
            return new NativeStatement(db, statement);
        }

        public void Bind(string name, long value)
        {
            var index = raw.sqlite3_bind_parameter_index(_statement, name);
            Check(_db, raw.sqlite3_bind_int64(_statement, index, value));
        }

        public void Bind(string name, string value)
        {
            var index = raw.sqlite3_bind_parameter_index(_statement, name);
            Check(_db, raw.sqlite3_bind_text(_statement, index, value));
        }

        /// <summary>True while there is a row; the statement is reset by <see cref="Reset"/> (also after an early stop).</summary>
        public bool Step()
        {
            var rc = raw.sqlite3_step(_statement);
            if (rc == raw.SQLITE_ROW)
            {
                return true;
            }

            if (rc == raw.SQLITE_DONE)
            {
                return false;
            }

            Check(_db, rc);
            return false;
        }

        public void Reset()
        {
            raw.sqlite3_reset(_statement);
            raw.sqlite3_clear_bindings(_statement);
        }

        public long Int64(int column) => raw.sqlite3_column_int64(_statement, column);

        public bool IsNull(int column) => raw.sqlite3_column_type(_statement, column) == raw.SQLITE_NULL;

        public string Text(int column) => raw.sqlite3_column_text(_statement, column).utf8_to_string();

        public string? TextOrNull(int column) => IsNull(column) ? null : Text(column);

        public void Dispose() => _statement.Dispose();

        private static void Check(sqlite3 db, int rc)
        {
            if (rc is not (raw.SQLITE_OK or raw.SQLITE_ROW or raw.SQLITE_DONE))
            {
                throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), rc, raw.sqlite3_extended_errcode(db));
            }
        }
    }

    private StoredEvent ReadRow(NativeStatement row)
    {
        var offset = row.Int64(EnvelopeColumns.Offset);
        DateTimeOffset createdAt;
        try
        {
            createdAt = Timestamps.Parse(row.Text(EnvelopeColumns.CreatedAt));
        }
        catch (FormatException ex)
        {
            throw new LedgerStorageException(LedgerErrorKind.InvalidData, Path, $"event at offset {offset} has an unreadable created_at: {ex.Message}", ex);
        }

        return StoredRow.ToStoredEvent(
            offset,
            id: row.Text(EnvelopeColumns.Id),
            runId: row.Text(EnvelopeColumns.RunId),
            turn: Int32At(row.Int64(EnvelopeColumns.Turn), offset, "turn"),
            kind: row.Text(EnvelopeColumns.Kind),
            actor: row.Text(EnvelopeColumns.Actor),
            payload: row.Text(EnvelopeColumns.Payload),
            createdAt: createdAt,
            schemaVersion: row.IsNull(EnvelopeColumns.SchemaVersion) ? 1 : Int32At(row.Int64(EnvelopeColumns.SchemaVersion), offset, "schema_version"),
            sessionId: row.TextOrNull(EnvelopeColumns.SessionId),
            modelProfile: row.TextOrNull(EnvelopeColumns.ModelProfile),
            modelId: row.TextOrNull(EnvelopeColumns.ModelId));
    }
}
