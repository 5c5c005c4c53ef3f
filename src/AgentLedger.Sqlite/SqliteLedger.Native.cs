using AgentLedger.Storage;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace AgentLedger.Sqlite;

public sealed partial class SqliteLedger
{
    /// <summary>
    /// A statement prepared once on a connection and stepped without Microsoft.Data.Sqlite's data reader: per row
    /// this skips the reader's per-call type checks and boxing, and reads each column straight from SQLite's buffer.
    /// The per-row and per-value calls go to <see cref="SqliteNative"/>'s direct entry points when they are available,
    /// else through SQLitePCLRaw (the layer Microsoft.Data.Sqlite stands on). Errors become the same
    /// <see cref="SqliteException"/> (and so the same ledger errors).
    /// </summary>
    private sealed unsafe class NativeStatement : IDisposable
    {
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _statement;
        private const int RecentPerColumn = 8;
        private const int MaxRepeatedLength = 64;

        private readonly bool _direct;
        private nint _handle;
        private readonly string?[]?[] _recent = new string?[]?[EnvelopeColumns.ModelId + 1];
        private readonly int[] _nextRecent = new int[EnvelopeColumns.ModelId + 1];

        private NativeStatement(sqlite3 db, sqlite3_stmt statement, bool direct)
        {
            (_db, _statement, _direct) = (db, statement, direct);
            _handle = statement.DangerousGetHandle();
        }

        /// <param name="direct">Whether to use <see cref="SqliteNative"/> (only when it is available).</param>
        public static NativeStatement Prepare(SqliteConnection connection, string sql, bool direct)
        {
            var db = connection.Handle!;
            var rc = raw.sqlite3_prepare_v3(db, sql, raw.SQLITE_PREPARE_PERSISTENT, out var statement, out _);
            Check(db, rc);
            return new NativeStatement(db, statement, direct && SqliteNative.Available);
        }

        public void Bind(string name, long value) => BindInt64(ParameterIndex(name), value);

        public void Bind(string name, string value)
        {
            var index = ParameterIndex(name);
            Check(_db, raw.sqlite3_bind_text(_statement, index, value));
        }

        /// <summary>True while there is a row; the statement is reset by <see cref="Reset"/> (also after an early stop).</summary>
        public bool Step()
        {
            var rc = _direct ? SqliteNative.sqlite3_step(Live) : raw.sqlite3_step(_statement);
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

        // sqlite3_reset returns the last step's error again, which Step has already thrown: it is ignored here.
        public void Reset()
        {
            if (_direct)
            {
                _ = SqliteNative.sqlite3_reset(Live);
                _ = SqliteNative.sqlite3_clear_bindings(Live);
            }
            else
            {
                raw.sqlite3_reset(_statement);
                raw.sqlite3_clear_bindings(_statement);
            }
        }

        public int ParameterIndex(string name) => raw.sqlite3_bind_parameter_index(_statement, name);

        public void BindInt64(int index, long value)
            => Check(_db, _direct ? SqliteNative.sqlite3_bind_int64(Live, index, value) : raw.sqlite3_bind_int64(_statement, index, value));

        public void BindNull(int index)
            => Check(_db, _direct ? SqliteNative.sqlite3_bind_null(Live, index) : raw.sqlite3_bind_null(_statement, index));

        /// <summary>UTF-8 bytes (SQLite copies them before returning).</summary>
        public void BindText(int index, ReadOnlySpan<byte> utf8)
        {
            if (!_direct)
            {
                Check(_db, raw.sqlite3_bind_text(_statement, index, utf8));
                return;
            }

            // An empty span may have no address, and a null pointer would bind NULL instead of ''.
            fixed (byte* text = utf8.IsEmpty ? "\0"u8 : utf8)
            {
                Check(_db, SqliteNative.sqlite3_bind_text(Live, index, text, utf8.Length, SqliteNative.Transient));
            }
        }

        /// <summary>Steps a statement that returns no rows, then resets it (also when the step failed).</summary>
        public void Execute()
        {
            try
            {
                Step();
            }
            finally
            {
                if (_direct)
                {
                    _ = SqliteNative.sqlite3_reset(Live);
                }
                else
                {
                    raw.sqlite3_reset(_statement);
                }
            }
        }

        public long Int64(int column) => _direct ? SqliteNative.sqlite3_column_int64(_handle, column) : raw.sqlite3_column_int64(_statement, column);

        public bool IsNull(int column)
            => (_direct ? SqliteNative.sqlite3_column_type(_handle, column) : raw.sqlite3_column_type(_statement, column)) == raw.SQLITE_NULL;

        public string Text(int column) => TextOrNull(column)!;

        /// <summary>A text column's UTF-8 bytes, valid until the next step.</summary>
        public ReadOnlySpan<byte> Bytes(int column)
        {
            if (!_direct)
            {
                return raw.sqlite3_column_blob(_statement, column);
            }

            var text = SqliteNative.sqlite3_column_text(_handle, column);
            return text is null ? default : new ReadOnlySpan<byte>(text, SqliteNative.sqlite3_column_bytes(_handle, column));
        }

        /// <summary>Null for SQL NULL, without asking for the column's type first (one call fewer a column).</summary>
        public string? TextOrNull(int column)
        {
            if (!_direct)
            {
                return raw.sqlite3_column_text(_statement, column).utf8_to_string();
            }

            // column_text before column_bytes: SQLite's documented order, so the length is that of the UTF-8 text.
            var text = SqliteNative.sqlite3_column_text(_handle, column);
            return text is null ? null : System.Text.Encoding.UTF8.GetString(text, SqliteNative.sqlite3_column_bytes(_handle, column));
        }

        /// <summary>
        /// <see cref="TextOrNull"/> for a column whose values repeat from row to row (a run id, a kind, an actor, a
        /// model): a value seen among the column's last few is returned again instead of decoded into a new string.
        /// Comparing a short ASCII value costs less than allocating it, and a long read then makes far less garbage.
        /// </summary>
        public string? RepeatedTextOrNull(int column)
        {
            if (!_direct)
            {
                return TextOrNull(column);
            }

            var text = SqliteNative.sqlite3_column_text(_handle, column);
            if (text is null)
            {
                return null;
            }

            var bytes = new ReadOnlySpan<byte>(text, SqliteNative.sqlite3_column_bytes(_handle, column));
            if (bytes.Length > MaxRepeatedLength)
            {
                return System.Text.Encoding.UTF8.GetString(bytes);
            }

            var recent = _recent[column] ??= new string?[RecentPerColumn];
            foreach (var candidate in recent)
            {
                if (candidate is null)
                {
                    break;
                }

                // Only equal ASCII matches; anything else is decoded (and then never matches a shorter or longer value).
                if (candidate.Length == bytes.Length && System.Text.Ascii.Equals(bytes, candidate))
                {
                    return candidate;
                }
            }

            var value = System.Text.Encoding.UTF8.GetString(bytes);
            recent[_nextRecent[column]] = value;
            _nextRecent[column] = (_nextRecent[column] + 1) % RecentPerColumn;
            return value;
        }

        public long LastInsertRowId() => _direct ? SqliteNative.sqlite3_last_insert_rowid(_db.DangerousGetHandle()) : raw.sqlite3_last_insert_rowid(_db);

        public void Dispose()
        {
            _handle = 0;
            _statement.Dispose();
        }

        /// <summary>The statement's handle, never one already freed (a raw handle has no SafeHandle to say so).</summary>
        private nint Live => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(NativeStatement));

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

        public NativeInsert(SqliteConnection writer, bool direct)
        {
            _statement = NativeStatement.Prepare(writer, SqliteSql.Insert, direct);
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
            Span<byte> time = stackalloc byte[Timestamps.StoredLength];
            _statement.BindText(_index[EnvelopeColumns.CreatedAt - 1], time[..Timestamps.FormatStored(e.CreatedAt, time)]);
            _statement.BindInt64(_index[EnvelopeColumns.SchemaVersion - 1], e.SchemaVersion);
            Text(EnvelopeColumns.SessionId, e.SessionId);
            Text(EnvelopeColumns.ModelProfile, e.ModelProfile);
            Text(EnvelopeColumns.ModelId, e.ModelId);
            _statement.Execute();
        }

        /// <summary>The offset the last successful insert on this connection was given.</summary>
        public long LastOffset() => _statement.LastInsertRowId();

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
            runId: row.RepeatedTextOrNull(EnvelopeColumns.RunId)!,
            turn: Int32At(row.Int64(EnvelopeColumns.Turn), offset, "turn"),
            kind: row.RepeatedTextOrNull(EnvelopeColumns.Kind)!,
            actor: row.RepeatedTextOrNull(EnvelopeColumns.Actor)!,
            payload: row.Text(EnvelopeColumns.Payload),
            createdAt: createdAt,
            schemaVersion: SchemaVersionOf(row, offset),
            sessionId: row.RepeatedTextOrNull(EnvelopeColumns.SessionId),
            modelProfile: row.RepeatedTextOrNull(EnvelopeColumns.ModelProfile),
            modelId: row.RepeatedTextOrNull(EnvelopeColumns.ModelId));
    }
}
