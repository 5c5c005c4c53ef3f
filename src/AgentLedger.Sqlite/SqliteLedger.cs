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
    private readonly string? _deleteOnDispose;
    private BoundCommand? _insert;
    private BoundCommand? _selectById;
    private bool _disposed;

    private SqliteLedger(
        string path, string readConnectionString, SqliteConnection? writer, SqliteLedgerOptions options,
        int schemaVersion, string columns, string? deleteOnDispose)
    {
        Path = path;
        _readConnectionString = readConnectionString;
        _writer = writer;
        _options = options;
        _columns = columns;
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
                    AppendBatchLocked(batch, results, transaction, cancellationToken);
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
        var session = RentReader();
        try
        {
            var command = session.Command(SqliteSql.Select(_columns, query));
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
            while (ReadNext(reader))
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return ReadRow(reader);
            }
        }
        finally
        {
            ReturnReader(session);
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public async IAsyncEnumerable<string> ListRunsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (_writer is not null)
        {
            await IndexRunsAsync(cancellationToken).ConfigureAwait(false);
        }

        var session = RentReader();
        try
        {
            var command = session.Command(_writer is not null ? SqliteSql.ListRuns : SqliteSql.ListRunsWithoutRunsTable);
            using var reader = Guard(command.ExecuteReader);
            while (ReadNext(reader))
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return reader.GetString(0);
            }
        }
        finally
        {
            ReturnReader(session);
        }
    }

    /// <summary>Brings the run index up to the latest offset (see <see cref="SqliteSql.CreateRuns"/>).</summary>
    private async Task IndexRunsAsync(CancellationToken cancellationToken)
    {
        var session = RentReader();
        try
        {
            if (IsRunIndexCurrent(session.Connection, out _, out _))
            {
                return;
            }
        }
        finally
        {
            ReturnReader(session);
        }

        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Guard(() =>
            {
                using var transaction = _writer!.BeginTransaction(deferred: false);
                if (!IsRunIndexCurrent(_writer, out var stale, out var latest))
                {
                    using var command = _writer.CreateCommand();
                    command.CommandText = stale ? SqliteSql.RebuildRuns : SqliteSql.IndexNewRuns;
                    command.Parameters.AddWithValue("$latest", latest);
                    command.Parameters.AddWithValue("$watermark", ReadWatermark(_writer));
                    command.ExecuteNonQuery();
                    transaction.Commit();
                }

                return 0;
            });
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>
    /// Current when the watermark is the latest offset and no indexed run lost its first event.
    /// Stale (rebuild) when events were deleted: offsets below the watermark reused, or first events gone.
    /// </summary>
    private static bool IsRunIndexCurrent(SqliteConnection connection, out bool stale, out long latest)
    {
        using var command = connection.CreateCommand();
        command.CommandText = SqliteSql.RunIndexState;
        using var reader = command.ExecuteReader();
        reader.Read();
        var watermark = reader.GetInt64(0);
        latest = reader.GetInt64(1);
        var earliestEvent = reader.IsDBNull(2) ? (long?)null : reader.GetInt64(2);
        var earliestIndexed = reader.IsDBNull(3) ? (long?)null : reader.GetInt64(3);
        stale = latest < watermark || (earliestIndexed is not null && (earliestEvent is null || earliestIndexed < earliestEvent));
        return !stale && latest == watermark;
    }

    private static long ReadWatermark(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM ledger_state WHERE name = 'runs_indexed_up_to'";
        return (long)command.ExecuteScalar()!;
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
            DisposeReaders();
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

    /// <summary>
    /// A single append is one plain INSERT, as fast as SQLite allows; a stored id surfaces as a UNIQUE
    /// violation (the statement is rolled back, no offset is used up) and is then looked up.
    /// </summary>
    private AppendResult AppendOne(LedgerEvent ledgerEvent)
    {
        Insert.Parameters.Bind(ledgerEvent);
        try
        {
            Insert.Command.ExecuteNonQuery();
        }
        catch (SqliteException ex) when (ex.SqliteExtendedErrorCode == SqliteErrorCodes.UniqueConstraint)
        {
            return Outcome(ledgerEvent, FindStored(ledgerEvent.Id)
                ?? throw new LedgerStorageException(Path, $"event {ledgerEvent.Id} was neither inserted nor found; is another process resetting the ledger?", ex));
        }

        return new AppendResult(ledgerEvent.Id, AppendOutcome.Appended, SQLitePCL.raw.sqlite3_last_insert_rowid(_writer!.Handle));
    }

    /// <summary>Inside the write transaction: one look-up for the whole batch, then a plain insert per new event.</summary>
    private void AppendBatchLocked(IReadOnlyList<LedgerEvent> batch, AppendResult[] results, SqliteTransaction transaction, CancellationToken cancellationToken)
    {
        var stored = FindStored(batch, transaction);
        var inserted = new Dictionary<string, StoredEvent>(StringComparer.Ordinal);
        for (var i = 0; i < batch.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var e = batch[i] ?? throw new ArgumentException("a batch must not contain null", nameof(batch));
            if (stored.TryGetValue(e.Id, out var existing) || inserted.TryGetValue(e.Id, out existing))
            {
                results[i] = Outcome(e, existing);
                continue;
            }

            Insert.Parameters.Bind(e);
            Insert.Command.ExecuteNonQuery();
            var offset = SQLitePCL.raw.sqlite3_last_insert_rowid(_writer!.Handle);
            inserted.Add(e.Id, new StoredEvent(offset, e));
            results[i] = new AppendResult(e.Id, AppendOutcome.Appended, offset);
        }
    }

    private Dictionary<string, StoredEvent> FindStored(IReadOnlyList<LedgerEvent> batch, SqliteTransaction transaction)
    {
        using var command = _writer!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = SqliteSql.SelectByIds(_columns);
        command.Parameters.AddWithValue("$ids", IdsAsJsonArray(batch));
        using var reader = command.ExecuteReader();
        var stored = new Dictionary<string, StoredEvent>(StringComparer.Ordinal);
        while (reader.Read())
        {
            var row = ReadRow(reader);
            stored[row.Event.Id] = row;
        }

        return stored;
    }

    private static string IdsAsJsonArray(IReadOnlyList<LedgerEvent> batch)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(batch.Count * 40);
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var e in batch)
            {
                writer.WriteStringValue(e.Id);
            }

            writer.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private StoredEvent? FindStored(string id)
    {
        SelectById.Parameters.BindId(id);
        using var reader = SelectById.Command.ExecuteReader();
        return reader.Read() ? ReadRow(reader) : null;
    }

    private static AppendResult Outcome(LedgerEvent incoming, StoredEvent stored)
        => new(incoming.Id, stored.Event.HasSameContentAs(incoming) ? AppendOutcome.Duplicate : AppendOutcome.Conflict, stored.Offset);
}
