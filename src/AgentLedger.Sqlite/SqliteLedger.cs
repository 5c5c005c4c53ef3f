using System.Runtime.CompilerServices;
using AgentLedger.Storage;
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
    private readonly ChangeNotifier _notifier;
    private readonly SqliteLedgerOptions _options;
    private readonly string _columns;
    private readonly string? _deleteOnDispose;
    private NativeInsert? _insert;
    private NativeStatement? _selectById;
    private NativeStatement? _selectByIds;
    private SqliteConnection? _probe;
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
        _notifier = new ChangeNotifier(ProbeDataVersionAsync, options.FollowPollInterval);
        Description = new LedgerDescription("sqlite", path, schemaVersion, SqliteMigrations.Latest);
    }

    /// <summary>The full path of the database file.</summary>
    public string Path { get; }

    public LedgerDescription Description { get; }

    /// <summary>This ledger's one change detector: how many followers wait, how often it has probed.</summary>
    public ChangeNotifier Changes => _notifier;

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
        var measurement = LedgerTelemetry.StartAppend(this, "append", 1);
        await EnterWriteGateAsync(cancellationToken).ConfigureAwait(false);
        AppendResult result;
        try
        {
            result = Guard(() => AppendOne(ledgerEvent));
        }
        catch (Exception ex)
        {
            measurement.Fail(ex);
            throw NoOffsetLeftOr(ex);
        }
        finally
        {
            _writeGate.Release();
        }

        measurement.Complete(new ReadOnlySpan<AppendResult>(in result));
        if (result.IsAppended)
        {
            _notifier.Notify();
        }

        return result;
    }

    public async ValueTask<IReadOnlyList<AppendResult>> AppendBatchAsync(IEnumerable<LedgerEvent> events, CancellationToken cancellationToken = default)
    {
        var batch = StoredRow.Materialize(events);
        var writer = RequireWriter();
        if (batch.Count == 0)
        {
            return [];
        }

        var measurement = LedgerTelemetry.StartAppend(this, "append_batch", batch.Count);
        var results = new AppendResult[batch.Count];
        await EnterWriteGateAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Guard(() =>
            {
                using var transaction = writer.BeginTransaction(deferred: false);
                AppendBatchLocked(batch, results, cancellationToken);
                transaction.Commit();

                return 0;
            });
        }
        catch (Exception ex)
        {
            measurement.Fail(ex);
            throw NoOffsetLeftOr(ex);
        }
        finally
        {
            _writeGate.Release();
        }

        measurement.Complete(results);
        if (Array.Exists(results, r => r.IsAppended))
        {
            _notifier.Notify();
        }

        return results;
    }

    public IAsyncEnumerable<StoredEvent> ReadAsync(EventQuery query, CancellationToken cancellationToken = default)
        => ReadCoreAsync(query, backward: false, cancellationToken);

    public IAsyncEnumerable<StoredEvent> ReadBackwardAsync(EventQuery query, CancellationToken cancellationToken = default)
        => ReadCoreAsync(query, backward: true, cancellationToken);

    public async IAsyncEnumerable<string> ListRunsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var indexed = _writer is not null && await IndexRunsAsync(cancellationToken).ConfigureAwait(false);
        var session = RentReader();
        try
        {
            var command = session.Command(indexed ? SqliteSql.ListRuns : SqliteSql.ListRunsFromLog);
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

    public async IAsyncEnumerable<RunEntry> ListRunsAsync(RunListQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ThrowIfDisposed();
        var indexed = _writer is not null && await IndexRunsAsync(cancellationToken).ConfigureAwait(false);
        var session = RentReader();
        try
        {
            var command = session.Command((indexed, query.NewestFirst) switch
            {
                (true, false) => SqliteSql.RunsPage,
                (true, true) => SqliteSql.RunsPageBackward,
                (false, false) => SqliteSql.RunsPageFromLog,
                (false, true) => SqliteSql.RunsPageFromLogBackward,
            });
            if (query.NewestFirst)
            {
                command.Parameters.AddWithValue("$before", query.Before ?? long.MaxValue);
            }
            else
            {
                command.Parameters.AddWithValue("$after", query.After);
            }

            command.Parameters.AddWithValue("$limit", query.Limit);
            using var reader = Guard(command.ExecuteReader);
            while (ReadNext(reader))
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return new RunEntry(reader.GetString(0), reader.GetInt64(1));
            }
        }
        finally
        {
            ReturnReader(session);
        }
    }

    public ValueTask<long> LatestOffsetAsync(CancellationToken cancellationToken = default) => ScalarAsync(SqliteSql.LatestOffset, cancellationToken);

    public ValueTask<long> CountAsync(CancellationToken cancellationToken = default) => ScalarAsync(SqliteSql.Count, cancellationToken);

    public IAsyncEnumerable<StoredEvent> FollowAsync(EventQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ThrowIfDisposed();
        return FollowLoop.RunAsync(this, query, _notifier, cancellationToken);
    }

    public async ValueTask ResetAsync(CancellationToken cancellationToken = default)
    {
        var writer = RequireWriter();
        await EnterWriteGateAsync(cancellationToken).ConfigureAwait(false);
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

        await _notifier.DisposeAsync().ConfigureAwait(false);
        await _writeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            DisposeReaders();
            _probe?.Dispose();
            _insert?.Dispose();
            _selectById?.Dispose();
            _selectByIds?.Dispose();
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
        }
    }

    private async IAsyncEnumerable<StoredEvent> ReadCoreAsync(EventQuery query, bool backward, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        var session = RentReader();
        try
        {
            var statement = Guard(() => session.Statement(SqliteSql.Select(_columns, query, backward)));
            try
            {
                statement.Bind("$after", query.After);
                if (query.UpTo is { } upTo)
                {
                    statement.Bind("$up_to", upTo);
                }

                foreach (var (column, value) in EnvelopeColumns.Filters(query))
                {
                    if (value is not null)
                    {
                        statement.Bind(SqliteSql.Parameter(column), value);
                    }
                }

                if (query.Limit is { } limit)
                {
                    statement.Bind("$limit", limit);
                }

                while (Step(statement))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    yield return ReadRow(statement);
                }
            }
            finally
            {
                statement.Reset(); // also after an early stop: the read snapshot ends here
            }
        }
        finally
        {
            ReturnReader(session);
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <summary>
    /// Brings the run index up to the latest offset (see <see cref="SqliteSql.CreateRuns"/>). False when it
    /// could not be, without waiting: another writer holds the lock, so runs are listed from the log instead.
    /// </summary>
    private async Task<bool> IndexRunsAsync(CancellationToken cancellationToken)
    {
        var session = RentReader();
        try
        {
            if (Guard(() => IsRunIndexCurrent(session.Connection, out _, out _)))
            {
                return true;
            }
        }
        finally
        {
            ReturnReader(session);
        }

        await EnterWriteGateAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return Guard(() => TryCatchUpRunIndex(_writer!));
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>
    /// Listing runs must never wait for another process's long write: the write lock is tried once (false when
    /// it is taken: runs are then listed from the log). The transaction is begun on the raw handle, because
    /// Microsoft.Data.Sqlite retries a busy BEGIN itself until its command timeout, whatever busy_timeout says.
    /// </summary>
    private bool TryCatchUpRunIndex(SqliteConnection writer)
    {
        var handle = writer.Handle!;
        SQLitePCL.raw.sqlite3_busy_timeout(handle, 0);
        int begun;
        try
        {
            begun = SQLitePCL.raw.sqlite3_exec(handle, "BEGIN IMMEDIATE");
        }
        finally
        {
            SQLitePCL.raw.sqlite3_busy_timeout(handle, (int)_options.BusyTimeout.TotalMilliseconds);
        }

        if (begun is SqliteErrorCodes.Busy or SqliteErrorCodes.Locked or SqliteErrorCodes.ReadOnly)
        {
            return false;
        }

        SqliteException.ThrowExceptionForRC(begun, handle);
        try
        {
            if (!IsRunIndexCurrent(writer, out var stale, out var latest))
            {
                using var command = writer.CreateCommand();
                command.CommandText = stale ? SqliteSql.RebuildRuns : SqliteSql.IndexNewRuns;
                command.Parameters.AddWithValue("$latest", latest);
                command.Parameters.AddWithValue("$watermark", ReadWatermark(writer));
                command.ExecuteNonQuery();
            }

            SqliteException.ThrowExceptionForRC(SQLitePCL.raw.sqlite3_exec(handle, "COMMIT"), handle);
            return true;
        }
        catch
        {
            SQLitePCL.raw.sqlite3_exec(handle, "ROLLBACK");
            throw;
        }
    }

    /// <summary>
    /// Current when the watermark is the latest offset and no indexed run lost its first event.
    /// Stale (rebuild) when events were deleted: the latest offset fell below the watermark, or first events are gone.
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
        command.CommandText = SqliteSql.RunIndexWatermark;
        return (long)command.ExecuteScalar()!;
    }

    // One connection, used only by the notifier's poll loop (never concurrently): data_version is per connection.
    private ValueTask<long> ProbeDataVersionAsync(CancellationToken cancellationToken)
    {
        _probe ??= OpenReader();
        using var command = _probe.CreateCommand();
        command.CommandText = SqliteSql.DataVersion;
        return ValueTask.FromResult(Guard(() => (long)command.ExecuteScalar()!));
    }

    /// <summary>
    /// SQLite reports an exhausted AUTOINCREMENT (a stored offset of 2^63 − 1, reachable by a copy) as
    /// SQLITE_FULL: say that, not "the disk is full".
    /// </summary>
    private Exception NoOffsetLeftOr(Exception ex)
    {
        if (ex is LedgerStorageException { Kind: LedgerErrorKind.DiskFull } && IsOffsetExhausted())
        {
            return new LedgerStorageException(LedgerErrorKind.InvalidData, Path, "no offset is left: the latest offset is the largest a ledger can hold", ex);
        }

        return ex;
    }

    private bool IsOffsetExhausted()
    {
        var session = RentReader();
        try
        {
            return (long)session.Command(SqliteSql.LatestOffset).ExecuteScalar()! == long.MaxValue;
        }
        finally
        {
            ReturnReader(session);
        }
    }

    private NativeInsert Insert => _insert ??= new NativeInsert(_writer!, _options.DirectInterop);

    // The writer's statements run through SQLitePCLRaw, inside whatever transaction the connection has open.
    private NativeStatement SelectById => _selectById ??= NativeStatement.Prepare(_writer!, SqliteSql.SelectById(_columns), _options.DirectInterop);

    private NativeStatement SelectByIds => _selectByIds ??= NativeStatement.Prepare(_writer!, SqliteSql.SelectByIds(_columns), _options.DirectInterop);

    /// <summary>
    /// A single append is one plain INSERT, as fast as SQLite allows; a stored id surfaces as a UNIQUE
    /// violation (the statement is rolled back, no offset is used up) and is then looked up.
    /// </summary>
    private AppendResult AppendOne(LedgerEvent ledgerEvent)
    {
        try
        {
            Insert.Execute(ledgerEvent);
        }
        catch (SqliteException ex) when (ex.SqliteExtendedErrorCode == SqliteErrorCodes.UniqueConstraint)
        {
            return Outcome(ledgerEvent, FindStored(ledgerEvent.Id)
                ?? throw new LedgerStorageException(LedgerErrorKind.Other, Path, $"event {ledgerEvent.Id} was neither inserted nor found; is another process resetting the ledger?", ex));
        }

        return new AppendResult(ledgerEvent.Id, AppendOutcome.Appended, Insert.LastOffset());
    }

    /// <summary>
    /// Inside the write transaction (so no other writer can store an id meanwhile): a plain insert per event, as
    /// fast as SQLite allows for a batch of new events. The first taken id surfaces as a UNIQUE violation (only
    /// that statement is rolled back; no offset is used up), and the rest of the batch is then looked up at once,
    /// so a batch of duplicates costs one look-up, not one failed insert each.
    /// </summary>
    private void AppendBatchLocked(IReadOnlyList<LedgerEvent> batch, Span<AppendResult> results, CancellationToken cancellationToken)
    {
        Dictionary<string, StoredEvent>? stored = null;
        var inserted = new Dictionary<string, StoredEvent>(StringComparer.Ordinal);
        for (var i = 0; i < batch.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var e = batch[i];
            if (inserted.TryGetValue(e.Id, out var existing) || (stored is not null && stored.TryGetValue(e.Id, out existing)))
            {
                results[i] = Outcome(e, existing);
                continue;
            }

            if (stored is null)
            {
                try
                {
                    Insert.Execute(e);
                }
                catch (SqliteException ex) when (ex.SqliteExtendedErrorCode == SqliteErrorCodes.UniqueConstraint)
                {
                    stored = FindStored(batch.Skip(i).ToList());
                    results[i] = Outcome(e, stored.TryGetValue(e.Id, out existing)
                        ? existing
                        : throw new LedgerStorageException(LedgerErrorKind.Other, Path, $"event {e.Id} was neither inserted nor found", ex));
                    continue;
                }
            }
            else
            {
                Insert.Execute(e);
            }

            var offset = Insert.LastOffset();
            inserted.Add(e.Id, new StoredEvent(offset, e));
            results[i] = new AppendResult(e.Id, AppendOutcome.Appended, offset);
        }
    }

    private Dictionary<string, StoredEvent> FindStored(IReadOnlyList<LedgerEvent> batch)
    {
        var stored = new Dictionary<string, StoredEvent>(StringComparer.Ordinal);
        try
        {
            SelectByIds.Bind("$ids", IdsAsJsonArray(batch));
            while (SelectByIds.Step())
            {
                var row = ReadRow(SelectByIds);
                stored[row.Event.Id] = row;
            }
        }
        finally
        {
            SelectByIds.Reset();
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
        try
        {
            SelectById.Bind("$id", id);
            return SelectById.Step() ? ReadRow(SelectById) : null;
        }
        finally
        {
            SelectById.Reset();
        }
    }

    private static AppendResult Outcome(LedgerEvent incoming, StoredEvent stored)
        => new(incoming.Id, stored.Event.HasSameContentAs(incoming) ? AppendOutcome.Duplicate : AppendOutcome.Conflict, stored.Offset);
}
