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
            return connection;
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw Translate(Path, ex);
        }
    }

    private ValueTask<long> ScalarAsync(string sql)
    {
        ThrowIfDisposed();
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

    private StoredEvent ReadRow(SqliteDataReader reader)
    {
        var offset = reader.GetInt64(0);
        DateTimeOffset createdAt;
        try
        {
            createdAt = Timestamps.Parse(reader.GetString(7));
        }
        catch (FormatException ex)
        {
            // Never replace an unreadable time with "now" (the reference did): say which row it is.
            throw new LedgerStorageException(Path, $"event at offset {offset} has an unreadable created_at: {ex.Message}", ex);
        }

        var e = LedgerEvent.FromStore(
            id: reader.GetString(1),
            runId: reader.GetString(2),
            turn: reader.GetInt32(3),
            kind: reader.GetString(4),
            actor: reader.GetString(5),
            payload: reader.GetString(6),
            createdAt: createdAt,
            schemaVersion: reader.IsDBNull(8) ? 1 : reader.GetInt32(8),
            sessionId: reader.IsDBNull(9) ? null : reader.GetString(9),
            modelProfile: reader.IsDBNull(10) ? null : reader.GetString(10),
            modelId: reader.IsDBNull(11) ? null : reader.GetString(11));
        return new StoredEvent(offset, e);
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
        return _writer ?? throw new LedgerStorageException(Path, "this ledger is open read-only");
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

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

    /// <summary>Turns SQLite's error codes into one clear sentence about this file.</summary>
    private static LedgerStorageException Translate(string path, SqliteException ex) => ex.SqliteErrorCode switch
    {
        SqliteErrorCodes.NotADatabase => new(path, "not a SQLite database (the file was left untouched)", ex),
        SqliteErrorCodes.Corrupt => new(path, "the SQLite file is corrupt (the file was left untouched); restore it from a copy", ex),
        SqliteErrorCodes.Busy or SqliteErrorCodes.Locked => new(path, "another process held the write lock longer than the busy timeout", ex),
        SqliteErrorCodes.ReadOnly => new(path, "the file is read-only: it can be read but not written", ex),
        SqliteErrorCodes.CantOpen => new(path, "cannot open the file (check the path and its permissions)", ex),
        SqliteErrorCodes.Full => new(path, "the disk is full", ex),
        _ => new(path, $"SQLite error {ex.SqliteErrorCode}: {ex.Message}", ex),
    };

    /// <summary>A prepared command with its parameters, reused for every append on the writer connection.</summary>
    private sealed record BoundCommand(SqliteCommand Command, EventParameters Parameters)
    {
        public static BoundCommand Prepare(SqliteConnection connection, string sql, bool idOnly = false)
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            var parameters = idOnly ? EventParameters.AddIdTo(command) : EventParameters.AddTo(command);
            command.Prepare();
            return new BoundCommand(command, parameters);
        }
    }

    /// <summary>The envelope's parameters on a command, bound without re-creating them.</summary>
    private sealed class EventParameters
    {
        private readonly SqliteParameter[] _p;

        private EventParameters(SqliteParameter[] parameters) => _p = parameters;

        public static EventParameters AddIdTo(SqliteCommand command)
            => new([command.Parameters.Add("$id", SqliteType.Text)]);

        public static EventParameters AddTo(SqliteCommand command) => new(
        [
            command.Parameters.Add("$id", SqliteType.Text),
            command.Parameters.Add("$run_id", SqliteType.Text),
            command.Parameters.Add("$turn", SqliteType.Integer),
            command.Parameters.Add("$kind", SqliteType.Text),
            command.Parameters.Add("$actor", SqliteType.Text),
            command.Parameters.Add("$payload", SqliteType.Text),
            command.Parameters.Add("$created_at", SqliteType.Text),
            command.Parameters.Add("$schema_version", SqliteType.Integer),
            command.Parameters.Add("$session_id", SqliteType.Text),
            command.Parameters.Add("$model_profile", SqliteType.Text),
            command.Parameters.Add("$model_id", SqliteType.Text),
        ]);

        public void BindId(string id) => _p[0].Value = id;

        public void Bind(LedgerEvent e)
        {
            _p[0].Value = e.Id;
            _p[1].Value = e.RunId;
            _p[2].Value = e.Turn;
            _p[3].Value = e.Kind;
            _p[4].Value = e.Actor;
            _p[5].Value = e.Payload;
            _p[6].Value = Timestamps.Format(e.CreatedAt);
            _p[7].Value = e.SchemaVersion;
            _p[8].Value = (object?)e.SessionId ?? DBNull.Value;
            _p[9].Value = (object?)e.ModelProfile ?? DBNull.Value;
            _p[10].Value = (object?)e.ModelId ?? DBNull.Value;
        }
    }

    /// <summary>SQLite's primary result codes that AgentLedger reacts to.</summary>
    private static class SqliteErrorCodes
    {
        public const int Busy = 5;
        public const int Locked = 6;
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
