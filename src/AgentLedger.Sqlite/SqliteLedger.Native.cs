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

        public int ParameterIndex(string name) => raw.sqlite3_bind_parameter_index(_statement, name);

        public void BindInt64(int index, long value) => Check(_db, raw.sqlite3_bind_int64(_statement, index, value));

        public void BindNull(int index) => Check(_db, raw.sqlite3_bind_null(_statement, index));

        /// <summary>UTF-8 bytes (SQLite copies them before returning).</summary>
        public void BindText(int index, ReadOnlySpan<byte> utf8) => Check(_db, raw.sqlite3_bind_text(_statement, index, utf8));

        /// <summary>Steps a statement that returns no rows, then resets it (also when the step failed).</summary>
        public void Execute()
        {
            try
            {
                Step();
            }
            finally
            {
                raw.sqlite3_reset(_statement);
            }
        }

        public long Int64(int column) => raw.sqlite3_column_int64(_statement, column);

        public bool IsNull(int column) => raw.sqlite3_column_type(_statement, column) == raw.SQLITE_NULL;

        public string Text(int column) => raw.sqlite3_column_text(_statement, column).utf8_to_string();

        /// <summary>A text column's UTF-8 bytes, valid until the next step.</summary>
        public ReadOnlySpan<byte> Bytes(int column) => raw.sqlite3_column_blob(_statement, column);

        /// <summary>Null for SQL NULL, in the same one call (each call across to SQLite costs about as much as decoding the text).</summary>
        public string? TextOrNull(int column) => raw.sqlite3_column_text(_statement, column).utf8_to_string();

        public void Dispose() => _statement.Dispose();

        private static void Check(sqlite3 db, int rc)
        {
            if (rc is not (raw.SQLITE_OK or raw.SQLITE_ROW or raw.SQLITE_DONE))
            {
                throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), rc, raw.sqlite3_extended_errcode(db));
            }
        }
    }

    /// <summary>
    /// The append's INSERT on the writer connection, bound through SQLitePCLRaw: text is encoded into one reused
    /// UTF-8 buffer and the time formatted straight into it, so a bound event allocates nothing.
    /// </summary>
    private sealed class NativeInsert : IDisposable
    {
        private readonly NativeStatement _statement;
        private readonly int[] _index;
        private byte[] _buffer = new byte[1024];

        public NativeInsert(SqliteConnection writer)
        {
            _statement = NativeStatement.Prepare(writer, SqliteSql.Insert);
            _index = [.. EnvelopeColumns.Envelope.Select(column => _statement.ParameterIndex(SqliteSql.Parameter(column)))];
        }

        /// <summary>Inserts <paramref name="e"/>; a taken id throws the UNIQUE violation as a <see cref="SqliteException"/>.</summary>
        public void Execute(LedgerEvent e)
        {
            Text(EnvelopeColumns.Id, e.Id);
            Text(EnvelopeColumns.RunId, e.RunId);
            _statement.BindInt64(_index[EnvelopeColumns.Turn - 1], e.Turn);
            Text(EnvelopeColumns.Kind, e.Kind);
            Text(EnvelopeColumns.Actor, e.Actor);
            Text(EnvelopeColumns.Payload, e.Payload);
            Span<byte> time = stackalloc byte[40];
            if (!e.CreatedAt.UtcDateTime.TryFormat(time, out var written, Timestamps.StoredFormat, System.Globalization.CultureInfo.InvariantCulture))
            {
                throw new InvalidOperationException("a time did not fit its buffer");
            }

            _statement.BindText(_index[EnvelopeColumns.CreatedAt - 1], time[..written]);
            _statement.BindInt64(_index[EnvelopeColumns.SchemaVersion - 1], e.SchemaVersion);
            Text(EnvelopeColumns.SessionId, e.SessionId);
            Text(EnvelopeColumns.ModelProfile, e.ModelProfile);
            Text(EnvelopeColumns.ModelId, e.ModelId);
            _statement.Execute();
        }

        public void Dispose() => _statement.Dispose();

        private void Text(int column, string? value)
        {
            var index = _index[column - 1];
            if (value is null)
            {
                _statement.BindNull(index);
                return;
            }

            var needed = System.Text.Encoding.UTF8.GetMaxByteCount(value.Length);
            if (_buffer.Length < needed)
            {
                _buffer = new byte[Math.Max(needed, _buffer.Length * 2)];
            }

            var length = System.Text.Encoding.UTF8.GetBytes(value, _buffer);
            _statement.BindText(index, _buffer.AsSpan(0, length));
        }
    }

    // NULL (a foreign writer's row) reads as 0: only then is the column's type asked for, one call fewer a row.
    private int SchemaVersionOf(NativeStatement row, long offset)
    {
        var version = row.Int64(EnvelopeColumns.SchemaVersion);
        return version == 0 && row.IsNull(EnvelopeColumns.SchemaVersion) ? 1 : Int32At(version, offset, "schema_version");
    }

    private StoredEvent ReadRow(NativeStatement row)
    {
        var offset = row.Int64(EnvelopeColumns.Offset);
        DateTimeOffset createdAt;
        try
        {
            // The shape AgentLedger writes is read from the bytes; a reference-written shape goes through text.
            if (!Timestamps.TryParseStored(row.Bytes(EnvelopeColumns.CreatedAt), out createdAt))
            {
                createdAt = Timestamps.Parse(row.Text(EnvelopeColumns.CreatedAt));
            }
        }
        catch (FormatException ex)
        {
            // Never replace an unreadable time with "now" (the reference did): say which row it is.
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
            schemaVersion: SchemaVersionOf(row, offset),
            sessionId: row.TextOrNull(EnvelopeColumns.SessionId),
            modelProfile: row.TextOrNull(EnvelopeColumns.ModelProfile),
            modelId: row.TextOrNull(EnvelopeColumns.ModelId));
    }
}
