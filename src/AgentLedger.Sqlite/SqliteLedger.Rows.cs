using AgentLedger.Storage;
using Microsoft.Data.Sqlite;

namespace AgentLedger.Sqlite;

public sealed partial class SqliteLedger
{
    private SqliteConnection OpenReader()
    {
        var connection = new SqliteConnection(_readConnectionString);
        try
        {
            connection.Open();

            // Reads step statements through SQLitePCLRaw (NativeStatement), past Microsoft.Data.Sqlite's own busy retries.
            SQLitePCL.raw.sqlite3_busy_timeout(connection.Handle, (int)_options.BusyTimeout.TotalMilliseconds);
            return connection;
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw Translate(Path, ex);
        }
    }

    private ValueTask<long> ScalarAsync(string sql, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        var session = RentReader();
        try
        {
            var command = session.Command(sql);
            return ValueTask.FromResult(Guard(() => (long)command.ExecuteScalar()!));
        }
        finally
        {
            ReturnReader(session);
        }
    }

    // A foreign writer may have stored any integer: say which row instead of an OverflowException.
    private int Int32At(long value, long offset, string column)
    {
        return value is >= int.MinValue and <= int.MaxValue
            ? (int)value
            : throw new LedgerStorageException(LedgerErrorKind.InvalidData, Path, $"event at offset {offset} has {column} {value}, outside the envelope's range");
    }

    private static void AddOptional(SqliteCommand command, string name, object? value)
    {
        if (value is not null)
        {
            command.Parameters.AddWithValue(name, value);
        }
    }

    private SqliteConnection RequireWriter()
    {
        ThrowIfDisposed();
        return _writer ?? throw new LedgerStorageException(LedgerErrorKind.ReadOnly, Path, "this ledger is open read-only");
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>
    /// Takes the write gate, and checks again that the ledger is open: a call that passed the first check may have
    /// waited behind <see cref="DisposeAsync"/>, which frees the writer's statements under the same gate.
    /// </summary>
    private async ValueTask EnterWriteGateAsync(CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (_disposed)
        {
            _writeGate.Release();
            ThrowIfDisposed();
        }
    }

    // Not Guard(reader.Read): that would allocate a delegate for every row of a large read.
    private bool ReadNext(SqliteDataReader reader)
    {
        try
        {
            return reader.Read();
        }
        catch (SqliteException ex)
        {
            throw Translate(Path, ex);
        }
    }

    private bool Step(NativeStatement statement)
    {
        try
        {
            return statement.Step();
        }
        catch (SqliteException ex)
        {
            throw Translate(Path, ex);
        }
    }

    private T Guard<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (SqliteException ex)
        {
            throw Translate(Path, ex);
        }
    }

    /// <summary>Turns SQLite's error codes into a kind and one clear sentence about this file.</summary>
    private static LedgerStorageException Translate(string path, SqliteException ex) => ex.SqliteErrorCode switch
    {
        SqliteErrorCodes.NotADatabase => new(LedgerErrorKind.NotALedger, path, "not a SQLite database (the file was left untouched)", ex),
        SqliteErrorCodes.Corrupt => new(LedgerErrorKind.Corrupt, path, "the SQLite file is corrupt (the file was left untouched); restore it from a copy", ex),
        SqliteErrorCodes.Busy or SqliteErrorCodes.Locked => new(LedgerErrorKind.Busy, path, "another process held the write lock longer than the busy timeout", ex),
        SqliteErrorCodes.ReadOnly => new(LedgerErrorKind.ReadOnly, path, "the file is read-only: it can be read but not written", ex),
        SqliteErrorCodes.CantOpen => new(LedgerErrorKind.PermissionDenied, path, "cannot open the file (check the path and its permissions)", ex),
        SqliteErrorCodes.Permission => new(LedgerErrorKind.PermissionDenied, path, "not allowed to access the file", ex),
        SqliteErrorCodes.Full => new(LedgerErrorKind.DiskFull, path, "the disk is full", ex),
        _ => new(LedgerErrorKind.Other, path, $"SQLite error {ex.SqliteErrorCode}: {ex.Message}", ex),
    };

    /// <summary>The envelope's parameters on a command, bound without re-creating them.</summary>
    private sealed class EventParameters
    {
        private readonly SqliteParameter[] _p;

        private EventParameters(SqliteParameter[] parameters) => _p = parameters;

        public static EventParameters AddTo(SqliteCommand command)
            => new([.. EnvelopeColumns.Envelope.Select(column => command.Parameters.Add(SqliteSql.Parameter(column), TypeOf(column)))]);

        private static SqliteType TypeOf(string column) => column is "turn" or "schema_version" ? SqliteType.Integer : SqliteType.Text;

        // Parameter i binds column i + 1 of EnvelopeColumns (the offset is not bound).
        public void Bind(LedgerEvent e)
        {
            _p[EnvelopeColumns.Id - 1].Value = e.Id;
            _p[EnvelopeColumns.RunId - 1].Value = e.RunId;
            _p[EnvelopeColumns.Turn - 1].Value = e.Turn;
            _p[EnvelopeColumns.Kind - 1].Value = e.Kind;
            _p[EnvelopeColumns.Actor - 1].Value = e.Actor;
            _p[EnvelopeColumns.Payload - 1].Value = e.Payload;
            _p[EnvelopeColumns.CreatedAt - 1].Value = Timestamps.Format(e.CreatedAt);
            _p[EnvelopeColumns.SchemaVersion - 1].Value = e.SchemaVersion;
            _p[EnvelopeColumns.SessionId - 1].Value = (object?)e.SessionId ?? DBNull.Value;
            _p[EnvelopeColumns.ModelProfile - 1].Value = (object?)e.ModelProfile ?? DBNull.Value;
            _p[EnvelopeColumns.ModelId - 1].Value = (object?)e.ModelId ?? DBNull.Value;
        }
    }

    /// <summary>SQLite's primary result codes that AgentLedger reacts to.</summary>
    private static class SqliteErrorCodes
    {
        public const int Busy = 5;
        public const int Locked = 6;
        public const int Permission = 3;
        public const int ReadOnly = 8;
        public const int Corrupt = 11;
        public const int Full = 13;
        public const int CantOpen = 14;
        public const int Constraint = 19;
        public const int NotADatabase = 26;

        /// <summary>SQLITE_CONSTRAINT_UNIQUE: the extended code of a UNIQUE violation.</summary>
        public const int UniqueConstraint = 2067;
    }
}
