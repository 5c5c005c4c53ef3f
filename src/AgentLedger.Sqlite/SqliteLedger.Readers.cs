using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace AgentLedger.Sqlite;

public sealed partial class SqliteLedger
{
    private const int IdleReadersKept = 8;

    private readonly ConcurrentBag<ReaderSession> _idleReaders = [];

    /// <summary>A reader connection kept open with its prepared statements: a short read (one run, a tail) pays neither again.</summary>
    private ReaderSession RentReader() => _idleReaders.TryTake(out var session) ? session : new ReaderSession(OpenReader(), _options.DirectInterop);

    private void ReturnReader(ReaderSession session)
    {
        if (_disposed || _idleReaders.Count >= IdleReadersKept)
        {
            session.Dispose();
            return;
        }

        _idleReaders.Add(session);
    }

    private void DisposeReaders()
    {
        while (_idleReaders.TryTake(out var session))
        {
            session.Dispose();
        }
    }

    private sealed class ReaderSession(SqliteConnection connection, bool direct) : IDisposable
    {
        // Query shapes are few (one per combination of filters), so the cache stays small.
        private const int MaxStatements = 64;

        private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
        private readonly Dictionary<string, NativeStatement> _statements = new(StringComparer.Ordinal);

        public SqliteConnection Connection { get; } = connection;

        public SqliteCommand Command(string sql)
        {
            if (!_commands.TryGetValue(sql, out var command))
            {
                if (_commands.Count >= MaxStatements)
                {
                    DisposeCommands();
                }

                command = Connection.CreateCommand();
                command.CommandText = sql;
                _commands[sql] = command;
            }

            command.Parameters.Clear();
            return command;
        }

        /// <summary>A read statement prepared once on this connection (see <see cref="NativeStatement"/>).</summary>
        public NativeStatement Statement(string sql)
        {
            if (!_statements.TryGetValue(sql, out var statement))
            {
                if (_statements.Count >= MaxStatements)
                {
                    DisposeCommands();
                }

                statement = NativeStatement.Prepare(Connection, sql, direct);
                _statements[sql] = statement;
            }

            return statement;
        }

        public void Dispose()
        {
            DisposeCommands();
            Connection.Dispose();
        }

        private void DisposeCommands()
        {
            foreach (var command in _commands.Values)
            {
                command.Dispose();
            }

            foreach (var statement in _statements.Values)
            {
                statement.Dispose();
            }

            _commands.Clear();
            _statements.Clear();
        }
    }
}
