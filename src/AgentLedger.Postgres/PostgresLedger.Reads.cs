using System.Runtime.CompilerServices;
using AgentLedger.Storage;
using Npgsql;

namespace AgentLedger.Postgres;

public sealed partial class PostgresLedger
{
    /// <summary>How many times in a row a read may lose its connection without getting one row further.</summary>
    private const int MaxResumesWithoutProgress = 8;

    /// <summary>
    /// Rows per statement. Every statement carries a LIMIT so the planner keeps the ordered index scan (a
    /// generic plan of an unbounded <c>offset &gt; $1</c> chose a sort); rows still stream one at a time.
    /// </summary>
    private const int StatementRows = 10_000;

    /// <summary>
    /// One statement, streamed straight off the data reader: memory holds one row, whatever the read's size.
    /// A dropped connection resumes the read after the last event yielded (offsets order it), so a caller
    /// sees every event once.
    /// </summary>
    private async IAsyncEnumerable<StoredEvent> ReadCoreAsync(EventQuery query, bool backward, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var rest = query;
        long? last = null; // the last offset yielded: the next statement continues after (or, backwards, before) it
        long remaining = query.Limit ?? long.MaxValue;
        var resumes = 0;
        while (remaining > 0)
        {
            if (last is { } resumeAt)
            {
                rest = backward ? rest with { UpTo = resumeAt - 1 } : rest with { After = resumeAt };
            }

            var page = rest with { Limit = (int)Math.Min(remaining, StatementRows) };
            var rows = 0;
            await using var cursor = await WithRetryAsync((_, ct) => Cursor.OpenAsync(_dataSource, page, backward, _missingColumns, ct), cancellationToken).ConfigureAwait(false);
            while (true)
            {
                var step = await cursor.NextAsync(Display, cancellationToken).ConfigureAwait(false);
                if (step == Cursor.Step.End)
                {
                    if (rows < page.Limit)
                    {
                        yield break;
                    }

                    break; // a full statement: the next one continues after the last event
                }

                if (step == Cursor.Step.Dropped)
                {
                    if (++resumes > MaxResumesWithoutProgress)
                    {
                        throw new LedgerStorageException(LedgerErrorKind.Unavailable, Display, $"a read lost its connection {resumes} times without progress; gave up");
                    }

                    LedgerTelemetry.RecordRetry(this, "read resumed");
                    break;
                }

                resumes = 0;
                rows++;
                var row = cursor.Current;
                yield return row;
                remaining--;
                last = row.Offset;
            }
        }
    }

    /// <summary>An open read: connection, command and reader, disposed together.</summary>
    private sealed class Cursor : IAsyncDisposable
    {
        private readonly NpgsqlConnection _connection;
        private readonly NpgsqlCommand _command;
        private readonly NpgsqlDataReader _reader;

        private Cursor(NpgsqlConnection connection, NpgsqlCommand command, NpgsqlDataReader reader)
            => (_connection, _command, _reader) = (connection, command, reader);

        public enum Step
        {
            Row,
            End,
            Dropped,
        }

        public StoredEvent Current { get; private set; } = null!;

        private bool _atEnd;

        public static async Task<Cursor> OpenAsync(NpgsqlDataSource dataSource, EventQuery query, bool backward, IReadOnlySet<string>? missing, CancellationToken cancellationToken)
        {
            var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            NpgsqlCommand? command = null;
            try
            {
                command = new NpgsqlCommand(PostgresSql.Select(query, backward, missing), connection);
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = query.After });
                if (query.UpTo is { } upTo)
                {
                    command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = upTo });
                }

                foreach (var (_, value) in EnvelopeColumns.Filters(query))
                {
                    if (value is not null)
                    {
                        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = value });
                    }
                }

                if (query.Limit is { } limit)
                {
                    command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
                }

                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                return new Cursor(connection, command, reader);
            }
            catch
            {
                if (command is not null)
                {
                    await command.DisposeAsync().ConfigureAwait(false);
                }

                await connection.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        public async ValueTask<Step> NextAsync(string display, CancellationToken cancellationToken)
        {
            try
            {
                if (!await _reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    _atEnd = true;
                    return Step.End;
                }

                Current = ReadRow(_reader);
                return Step.Row;
            }
            catch (Exception ex) when (IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                return Step.Dropped;
            }
            catch (PostgresException ex)
            {
                throw Translate(display, ex);
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                // A caller that stopped early must not pay for the rest of the statement: closing a reader
                // drains every row still on the wire, so the server is asked to stop sending them first.
                if (!_atEnd)
                {
                    _command.Cancel();
                }

                await _reader.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransient(ex) || ex is PostgresException { SqlState: PostgresErrorCodes.QueryCanceled })
            {
                // The connection is gone already, or the statement was cancelled on purpose: nothing left to close.
            }

            await _command.DisposeAsync().ConfigureAwait(false);
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
