using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace AgentLedger.Sqlite;

/// <summary>
/// The ledger in one SQLite file: WAL journal, one writer connection per process (SQLite has one
/// writer anyway), pooled reader connections. Idempotency comes from the UNIQUE constraint on
/// <c>id</c>, so it holds across processes and restarts; nothing of the log is cached in memory, so
/// opening a file costs the same whatever it holds.
/// </summary>
public sealed partial class SqliteLedger : ILedger, ILedgerStorageSize
{
    private readonly string _readConnectionString;
    private readonly SqliteConnection? _writer;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly AppendSignal _signal = new();
    private readonly SqliteLedgerOptions _options;
    private readonly string _columns;
    private readonly bool _hasRunsTable;
    private readonly string? _deleteOnDispose;
    private BoundCommand? _insert;
    private BoundCommand? _selectById;
    private bool _disposed;

    private SqliteLedger(
        string path, string readConnectionString, SqliteConnection? writer, SqliteLedgerOptions options,
        int schemaVersion, string columns, bool hasRunsTable, string? deleteOnDispose)
    {
        Path = path;
        _readConnectionString = readConnectionString;
        _writer = writer;
        _options = options;
        _columns = columns;
        _hasRunsTable = hasRunsTable;
        _deleteOnDispose = deleteOnDispose;
        Description = new LedgerDescription("sqlite", path, schemaVersion);
    }

    /// <summary>The full path of the database file.</summary>
    public string Path { get; }

    public LedgerDescription Description { get; }

    /// <summary>Opens (and, unless read-only, creates or upgrades) the ledger in the file at <paramref name="path"/>.</summary>
    public static Task<SqliteLedger> OpenAsync(string path, SqliteLedgerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return Task.Run(() => Open(System.IO.Path.GetFullPath(path), options ?? new SqliteLedgerOptions(), deleteOnDispose: false), cancellationToken);
    }

    /// <summary>A private, throw-away ledger (<c>sqlite://</c>): a temporary file deleted on dispose.</summary>
    public static Task<SqliteLedger> OpenTemporaryAsync(SqliteLedgerOptions? options = null, CancellationToken cancellationToken = default)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"agentledger-{Guid.NewGuid():N}.db");
        return Task.Run(() => Open(path, (options ?? new SqliteLedgerOptions()) with { CreateIfMissing = true, ReadOnly = false }, deleteOnDispose: true), cancellationToken);
    }

    public async ValueTask<AppendResult> AppendAsync(LedgerEvent ledgerEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledgerEvent);
        RequireWriter();
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        AppendResult result;
        try
        {
            result = Guard(() => AppendOne(ledgerEvent));
        }
        finally
        {
            _writeGate.Release();
        }

        if (result.IsAppended)
        {
            _signal.Notify();
        }

        return result;
    }

    public async ValueTask<IReadOnlyList<AppendResult>> AppendBatchAsync(IEnumerable<LedgerEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var writer = RequireWriter();

        // Materialise before taking the write lock: a throwing enumerator must not leave half a batch.
        var batch = events as IReadOnlyList<LedgerEvent> ?? [.. events];
        if (batch.Count == 0)
        {
            return [];
        }

        var results = new AppendResult[batch.Count];
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Guard(() =>
            {
                using var transaction = writer.BeginTransaction(deferred: false);
                try
                {
                    Insert.Command.Transaction = transaction;
                    SelectById.Command.Transaction = transaction;
                    for (var i = 0; i < batch.Count; i++)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        results[i] = AppendOne(batch[i] ?? throw new ArgumentException("a batch must not contain null", nameof(events)));
                    }

                    transaction.Commit();
                }
                finally
                {
                    Insert.Command.Transaction = null;
                    SelectById.Command.Transaction = null;
                }

                return 0;
            });
        }
        finally
        {
            _writeGate.Release();
        }

        if (Array.Exists(results, r => r.IsAppended))
        {
            _signal.Notify();
        }

        return results;
    }

    public async IAsyncEnumerable<StoredEvent> ReadAsync(EventQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ThrowIfDisposed();
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = SqliteSql.Select(_columns, query);
        command.Parameters.AddWithValue("$after", query.After);
        AddOptional(command, "$up_to", query.UpTo);
        AddOptional(command, "$run_id", query.RunId);
        AddOptional(command, "$kind", query.Kind);
        AddOptional(command, "$actor", query.Actor);
        AddOptional(command, "$session_id", query.SessionId);
        AddOptional(command, "$model_id", query.ModelId);
        AddOptional(command, "$model_profile", query.ModelProfile);
        AddOptional(command, "$limit", query.Limit);
        using var reader = Guard(command.ExecuteReader);
        while (Guard(reader.Read))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return ReadRow(reader);
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public async IAsyncEnumerable<string> ListRunsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = _hasRunsTable ? SqliteSql.ListRuns : SqliteSql.ListRunsWithoutRunsTable;
        using var reader = Guard(command.ExecuteReader);
        while (Guard(reader.Read))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return reader.GetString(0);
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public ValueTask<long> LatestOffsetAsync(CancellationToken cancellationToken = default) => ScalarAsync(SqliteSql.LatestOffset);

    public ValueTask<long> CountAsync(CancellationToken cancellationToken = default) => ScalarAsync(SqliteSql.Count);

    public IAsyncEnumerable<StoredEvent> FollowAsync(EventQuery query, CancellationToken cancellationToken = default)
        => FollowLoop.RunAsync(this, query, () => _signal.Next, _options.FollowPollInterval, cancellationToken);

    public async ValueTask ResetAsync(CancellationToken cancellationToken = default)
    {
        var writer = RequireWriter();
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Guard(() =>
            {
                using var transaction = writer.BeginTransaction(deferred: false);
                using var command = writer.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = SqliteSql.Reset;
                command.ExecuteNonQuery();
                transaction.Commit();
                return 0;
            });
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public async ValueTask RestoreAsync(IReadOnlyList<StoredEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var writer = RequireWriter();
        if (events.Count == 0)
        {
            return;
        }

        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Guard(() =>
            {
                using var transaction = writer.BeginTransaction(deferred: false);
                using var latestCommand = writer.CreateCommand();
                latestCommand.Transaction = transaction;
                latestCommand.CommandText = SqliteSql.LatestOffset;
                var latest = (long)latestCommand.ExecuteScalar()!;
                using var insert = writer.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText = SqliteSql.InsertWithOffset;
                var offset = insert.Parameters.Add("$offset", SqliteType.Integer);
                var parameters = EventParameters.AddTo(insert);
                insert.Prepare();
                foreach (var stored in events)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (stored.Offset <= latest)
                    {
                        throw new LedgerException($"cannot restore offset {stored.Offset} into {Path}: offsets must increase past {latest}");
                    }

                    offset.Value = stored.Offset;
                    parameters.Bind(stored.Event);
                    try
                    {
                        insert.ExecuteNonQuery();
                    }
                    catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteErrorCodes.Constraint)
                    {
                        throw new LedgerException($"cannot restore event {stored.Event.Id} into {Path}: its id is already stored", ex);
                    }

                    latest = stored.Offset;
                }

                transaction.Commit();
                return 0;
            });
        }
        finally
        {
            _writeGate.Release();
        }

        _signal.Notify();
    }

    public ValueTask<long?> SizeOnDiskAsync(CancellationToken cancellationToken = default)
    {
        long size = 0;
        foreach (var suffix in new[] { string.Empty, "-wal", "-shm" })
        {
            var file = new FileInfo(Path + suffix);
            size += file.Exists ? file.Length : 0;
        }

        return ValueTask.FromResult<long?>(size);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        await _writeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            _insert?.Command.Dispose();
            _selectById?.Command.Dispose();
            if (_writer is not null)
            {
                await _writer.DisposeAsync().ConfigureAwait(false);
            }

            // Release pooled handles so the file can be moved or deleted once we are done with it.
            using (var connection = new SqliteConnection(_readConnectionString))
            {
                SqliteConnection.ClearPool(connection);
            }

            if (_deleteOnDispose is not null)
            {
                foreach (var suffix in new[] { string.Empty, "-wal", "-shm" })
                {
                    File.Delete(_deleteOnDispose + suffix);
                }
            }
        }
        finally
        {
            _writeGate.Release();
            _writeGate.Dispose();
        }
    }

    private BoundCommand Insert => _insert ??= BoundCommand.Prepare(_writer!, SqliteSql.Insert);

    private BoundCommand SelectById => _selectById ??= BoundCommand.Prepare(_writer!, SqliteSql.SelectById(_columns), idOnly: true);

    private AppendResult AppendOne(LedgerEvent ledgerEvent)
    {
        // Two tries: the stored row we collide with can vanish between the statements only by a reset.
        for (var attempt = 0; ; attempt++)
        {
            Insert.Parameters.Bind(ledgerEvent);
            if (Insert.Command.ExecuteScalar() is long offset)
            {
                return new AppendResult(ledgerEvent.Id, AppendOutcome.Appended, offset);
            }

            SelectById.Parameters.BindId(ledgerEvent.Id);
            using var reader = SelectById.Command.ExecuteReader();
            if (reader.Read())
            {
                var stored = ReadRow(reader);
                var outcome = stored.Event.HasSameContentAs(ledgerEvent) ? AppendOutcome.Duplicate : AppendOutcome.Conflict;
                return new AppendResult(ledgerEvent.Id, outcome, stored.Offset);
            }

            if (attempt > 0)
            {
                throw new LedgerStorageException(Path, $"event {ledgerEvent.Id} was neither inserted nor found; is another process resetting the ledger?");
            }
        }
    }
}
