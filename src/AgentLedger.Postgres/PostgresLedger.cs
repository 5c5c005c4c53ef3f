using System.Runtime.CompilerServices;
using AgentLedger.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace AgentLedger.Postgres;

/// <summary>
/// The ledger in a PostgreSQL table, shared by many workers on many machines. Writers commit
/// concurrently; a follower reads only up to its settled horizon (see PostgresLedger.Horizon.cs), so it
/// never misses or repeats an event. Dropped connections are retried; appends are idempotent by id, so a
/// retry never doubles an event.
/// </summary>
public sealed partial class PostgresLedger : ILedger, ILedgerStorageSize
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresLedgerOptions _options;
    private readonly long _appendLockKey;
    private readonly ChangeNotifier _notifier;
    private readonly CancellationTokenSource _closing = new();
    private readonly Lock _listenerGate = new();
    private readonly ILogger? _logger;
    private Task? _listener;
    private int _disposed;
    private bool _standby;

    /// <summary>
    /// Every transaction id below this was assigned before now (the open's snapshot, then each append's own id):
    /// a call that captured it at its start knows any stored row written below it is not its own.
    /// </summary>
    private long _xidFloor;

    /// <summary>Columns an older layout opened read-only lacks (read as NULL); null when the table is complete.</summary>
    private IReadOnlySet<string>? _missingColumns;

    private SettledHorizon? _horizon;

    private SettledHorizon Horizon => LazyInitializer.EnsureInitialized(ref _horizon, () => new SettledHorizon(this));

    private PostgresLedger(NpgsqlDataSource dataSource, PostgresLedgerOptions options, string display, string schema, long appendLockKey, int schemaVersion, long xidFloor)
    {
        _xidFloor = xidFloor;
        _dataSource = dataSource;
        _options = options;
        _appendLockKey = appendLockKey;
        _logger = options.LoggerFactory?.CreateLogger("AgentLedger.Postgres");
        Schema = schema;
        Description = new LedgerDescription("postgres", display, schemaVersion, PostgresSql.LatestVersion);
        _notifier = new ChangeNotifier(ProbeLatestOffsetAsync, options.FollowPollInterval);
    }

    /// <summary>The schema that holds the <c>events</c> table.</summary>
    public string Schema { get; }

    public LedgerDescription Description { get; }

    /// <summary>This ledger's one change detector: how many followers wait, how often it has probed.</summary>
    public ChangeNotifier Changes => _notifier;

    private string Display => Description.Location;

    public async ValueTask<AppendResult> AppendAsync(LedgerEvent ledgerEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledgerEvent);
        RequireWritable();
        var measurement = LedgerTelemetry.StartAppend(this, "append", 1);
        AppendResult result;
        try
        {
            var floor = Volatile.Read(ref _xidFloor);
            result = await WithRetryAsync((attempt, ct) => AppendOnceAsync(ledgerEvent, attempt, floor, ct), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            measurement.Fail(ex);
            throw;
        }

        measurement.Complete(new ReadOnlySpan<AppendResult>(in result));
        if (result.IsAppended)
        {
            Committed();
        }

        return result;
    }

    public async ValueTask<IReadOnlyList<AppendResult>> AppendBatchAsync(IEnumerable<LedgerEvent> events, CancellationToken cancellationToken = default)
    {
        var batch = StoredRow.Materialize(events);
        RequireWritable();
        if (batch.Count == 0)
        {
            return [];
        }

        var measurement = LedgerTelemetry.StartAppend(this, "append_batch", batch.Count);
        AppendResult[] results;
        try
        {
            var floor = Volatile.Read(ref _xidFloor);
            results = await WithRetryAsync(async (attempt, ct) =>
            {
                await using var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
                await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
                var appended = await AppendChunkAsync(connection, transaction, batch, attempt, floor, takeLock: true, ct).ConfigureAwait(false);
                await transaction.CommitAsync(ct).ConfigureAwait(false);
                return appended.Results;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            measurement.Fail(ex);
            throw;
        }

        measurement.Complete(results);
        if (Array.Exists(results, r => r.IsAppended))
        {
            Committed();
        }

        return results;
    }

    public IAsyncEnumerable<StoredEvent> ReadAsync(EventQuery query, CancellationToken cancellationToken = default)
        => ReadCoreAsync(query, backward: false, cancellationToken);

    public IAsyncEnumerable<StoredEvent> ReadBackwardAsync(EventQuery query, CancellationToken cancellationToken = default)
        => ReadCoreAsync(query, backward: true, cancellationToken);

    public async IAsyncEnumerable<string> ListRunsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // One row per run (not per event): small enough to read whole, which lets a dropped connection be retried.
        var runs = await WithRetryAsync(async (_, ct) =>
        {
            await using var command = _dataSource.CreateCommand(Description.SchemaVersion >= 3 ? PostgresSql.ListRuns : PostgresSql.ListRunsByIndex);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var list = new List<string>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                list.Add(reader.GetString(0));
            }

            return list;
        }, cancellationToken).ConfigureAwait(false);
        foreach (var run in runs)
        {
            yield return run;
        }
    }

    public async IAsyncEnumerable<RunEntry> ListRunsAsync(RunListQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var indexed = Description.SchemaVersion >= 3;
        var sql = (indexed, query.NewestFirst) switch
        {
            (true, false) => PostgresSql.RunsPage,
            (true, true) => PostgresSql.RunsPageBackward,
            (false, false) => PostgresSql.RunsPageByIndex,
            (false, true) => PostgresSql.RunsPageByIndexBackward,
        };

        // A page is small (at most 10,000 rows): read whole, which lets a dropped connection be retried.
        var page = await WithRetryAsync(async (_, ct) =>
        {
            await using var command = _dataSource.CreateCommand(sql);
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = query.NewestFirst ? query.Before ?? long.MaxValue : query.After });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = query.Limit });
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var list = new List<RunEntry>(query.Limit);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                list.Add(new RunEntry(reader.GetString(0), reader.GetInt64(1)));
            }

            return list;
        }, cancellationToken).ConfigureAwait(false);
        foreach (var entry in page)
        {
            yield return entry;
        }
    }

    public ValueTask<long> LatestOffsetAsync(CancellationToken cancellationToken = default) => ScalarAsync(PostgresSql.LatestOffset, cancellationToken);

    public ValueTask<long> CountAsync(CancellationToken cancellationToken = default) => ScalarAsync(PostgresSql.Count, cancellationToken);

    /// <summary>
    /// A follower is exact only where it can see the writers in progress: the settled horizon asks the server
    /// which transactions hold the append lock, and a hot standby (a read replica) shows none of the primary's,
    /// nor does it pass NOTIFY on. There a follower could step past an offset that commits later, and miss it
    /// for good: so following a standby (as the open found it) is refused, clearly, while every read still works.
    /// </summary>
    public IAsyncEnumerable<StoredEvent> FollowAsync(EventQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (_standby)
        {
            throw new LedgerConfigurationException(
                $"{Description.Location} is a hot standby (a read replica): a follower there cannot see the primary's writes in progress "
                + "and could miss events for good; follow the primary's URL (reads, listings and exports work on the replica)");
        }

        EnsureListening();
        return FollowLoop.RunAsync(this, query, _notifier, new FollowerHorizon(Horizon, query.After).NextAsync, cancellationToken);
    }

    public async ValueTask ResetAsync(CancellationToken cancellationToken = default)
    {
        RequireWritable();
        await WithRetryAsync(async (_, ct) =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var batch = new NpgsqlBatch(connection);
            AddAppendLock(batch, exclusive: true);
            batch.BatchCommands.Add(new NpgsqlBatchCommand(PostgresSql.Reset));
            await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<long?> SizeOnDiskAsync(CancellationToken cancellationToken = default)
        => await ScalarAsync(PostgresSql.SizeOnDisk, cancellationToken).ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        if (_listener is not null)
        {
            await _listener.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await _notifier.DisposeAsync().ConfigureAwait(false);
        _horizon?.Dispose();
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        _closing.Dispose();
    }

    private async Task<AppendResult> AppendOnceAsync(LedgerEvent ledgerEvent, int attempt, long floor, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection);
        AddAppendLock(batch);
        var append = new NpgsqlBatchCommand(PostgresSql.AppendOne);
        AddEventParameters(append.Parameters, ledgerEvent);
        batch.BatchCommands.Add(append);
        await using var reader = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await reader.NextResultAsync(ct).ConfigureAwait(false);

        if (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            ObserveTransaction(reader.GetInt64(1));
            return new AppendResult(ledgerEvent.Id, AppendOutcome.Appended, reader.GetInt64(0));
        }

        await reader.DisposeAsync().ConfigureAwait(false);

        // Stored already (the rare path): fetch it to tell a duplicate from a conflict.
        await using var select = new NpgsqlCommand(PostgresSql.SelectById, connection);
        select.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ledgerEvent.Id });
        await using var stored = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await stored.ReadAsync(ct).ConfigureAwait(false)
            ? Outcome(ledgerEvent, ReadFound(stored), attempt, floor)
            : throw new RetryableRaceException(); // inserted by an unguarded writer after our snapshot, or reset meanwhile
    }

    /// <summary>
    /// Inside a transaction: (the append lock, when <paramref name="takeLock"/>) which ids of the chunk are
    /// stored already, then one insert of the others. Ids stored earlier in the same transaction count as stored.
    /// </summary>
    private async Task<(AppendResult[] Results, int Count)> AppendChunkAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<LedgerEvent> batch, int attempt, long floor, bool takeLock, CancellationToken cancellationToken)
    {
        var stored = await FindStoredAsync(connection, transaction, batch, takeLock, cancellationToken).ConfigureAwait(false);
        var fresh = new List<LedgerEvent>(batch.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in batch)
        {
            if (!stored.ContainsKey(e.Id) && seen.Add(e.Id))
            {
                fresh.Add(e);
            }
        }

        var inserted = new Dictionary<string, long>(StringComparer.Ordinal);
        if (fresh.Count >= CopyFrom && await CopyFreshAsync(connection, transaction, fresh, inserted, cancellationToken).ConfigureAwait(false))
        {
            // Stored by COPY.
        }
        else if (fresh.Count > 0)
        {
            await using var insert = new NpgsqlCommand(PostgresSql.AppendBatch, connection, transaction) { CommandTimeout = BulkTimeoutSeconds };
            AddBatchParameters(insert.Parameters, fresh);
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                inserted[reader.GetString(0)] = reader.GetInt64(1);
                ObserveTransaction(reader.GetInt64(2));
            }
        }

        if (inserted.Count != fresh.Count)
        {
            // A concurrent writer of the same id committed first (ON CONFLICT waited for it): that one is stored now.
            var raced = await FindStoredAsync(connection, transaction, [.. fresh.Where(e => !inserted.ContainsKey(e.Id))], takeLock: false, cancellationToken).ConfigureAwait(false);
            foreach (var (id, row) in raced)
            {
                stored[id] = row;
            }

            if (inserted.Count + raced.Count != fresh.Count)
            {
                throw new RetryableRaceException(); // gone again (a reset meanwhile): start over
            }
        }

        var results = new AppendResult[batch.Count];
        var firstOf = new Dictionary<string, LedgerEvent>(StringComparer.Ordinal);
        for (var i = 0; i < batch.Count; i++)
        {
            var e = batch[i];
            if (stored.TryGetValue(e.Id, out var existing))
            {
                results[i] = firstOf.TryAdd(e.Id, e) ? Outcome(e, existing, attempt, floor) : Outcome(e, existing, attempt: 0, floor);
            }
            else if (firstOf.TryAdd(e.Id, e))
            {
                results[i] = new AppendResult(e.Id, AppendOutcome.Appended, inserted[e.Id]);
            }
            else
            {
                var outcome = firstOf[e.Id].HasSameContentAs(e) ? AppendOutcome.Duplicate : AppendOutcome.Conflict;
                results[i] = new AppendResult(e.Id, outcome, inserted[e.Id]);
            }
        }

        return (results, inserted.Count);
    }

    private async Task<Dictionary<string, Found>> FindStoredAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<LedgerEvent> batch, bool takeLock, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlBatch(connection, transaction) { Timeout = BulkTimeoutSeconds };
        if (takeLock)
        {
            AddAppendLock(command);
        }

        var select = new NpgsqlBatchCommand(PostgresSql.SelectByIds);
        select.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. batch.Select(e => e.Id)] });
        command.BatchCommands.Add(select);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (takeLock)
        {
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        }

        var stored = new Dictionary<string, Found>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var found = ReadFound(reader);
            stored[found.Row.Event.Id] = found;
        }

        return stored;
    }

    private async ValueTask<long> ScalarAsync(string sql, CancellationToken cancellationToken)
        => await WithRetryAsync(async (_, ct) =>
        {
            await using var command = _dataSource.CreateCommand(sql);
            return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }, cancellationToken).ConfigureAwait(false);

    // The notifier's probe: one cheap index look-up, no retries (a failure just wakes followers, whose own read retries).
    private async ValueTask<long> ProbeLatestOffsetAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(PostgresSql.LatestOffset);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>The command timeout of the statements whose size is the caller's (0: none).</summary>
    private int BulkTimeoutSeconds => (int)Math.Ceiling(_options.BulkCommandTimeout?.TotalSeconds ?? 0);

    /// <summary>
    /// A stored event met again: a conflict when it differs; otherwise a duplicate, unless this call retried
    /// and the row was written by a transaction newer than <paramref name="floor"/> (every transaction id seen
    /// before the call began): then it is our own earlier attempt, whose acknowledgement the dropped connection lost.
    /// </summary>
    private static AppendResult Outcome(LedgerEvent incoming, Found stored, int attempt, long floor)
    {
        if (!stored.Row.Event.HasSameContentAs(incoming))
        {
            return new AppendResult(incoming.Id, AppendOutcome.Conflict, stored.Row.Offset);
        }

        var ours = attempt > 0 && !WrittenBefore(stored.Writer, floor);
        return new AppendResult(incoming.Id, ours ? AppendOutcome.Appended : AppendOutcome.Duplicate, stored.Row.Offset);
    }

    /// <summary>xmin is 32 bits and wraps: compared the way PostgreSQL compares transaction ids, modulo 2^32.</summary>
    private static bool WrittenBefore(long writer, long floor) => (int)((uint)floor - (uint)writer) > 0;

    private void ObserveTransaction(long transactionId)
    {
        var next = transactionId + 1;
        var seen = Volatile.Read(ref _xidFloor);
        while (next > seen)
        {
            var was = Interlocked.CompareExchange(ref _xidFloor, next, seen);
            if (was == seen)
            {
                return;
            }

            seen = was;
        }
    }

    /// <summary>A stored row and the (32-bit) id of the transaction that wrote it.</summary>
    private readonly record struct Found(StoredEvent Row, long Writer);

    private static Found ReadFound(NpgsqlDataReader reader) => new(ReadRow(reader), reader.GetInt64(EnvelopeColumns.All.Count));

    /// <summary>
    /// The append lock, always the first statement of a write: never in the statement that draws offsets
    /// (the follower's horizon relies on the lock being held before any offset is drawn).
    /// </summary>
    private void AddAppendLock(NpgsqlBatch batch, bool exclusive = false)
    {
        var command = new NpgsqlBatchCommand(exclusive || _options.OrderedCommits ? PostgresSql.OrderedLock : PostgresSql.AppendLock);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _appendLockKey });
        batch.BatchCommands.Add(command);
    }

    private static void AddEventParameters(NpgsqlParameterCollection parameters, LedgerEvent e)
    {
        parameters.Add(new NpgsqlParameter<string> { TypedValue = e.Id, NpgsqlDbType = NpgsqlDbType.Varchar });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = e.RunId, NpgsqlDbType = NpgsqlDbType.Varchar });
        parameters.Add(new NpgsqlParameter<int> { TypedValue = e.Turn });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = e.Kind, NpgsqlDbType = NpgsqlDbType.Varchar });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = e.Actor, NpgsqlDbType = NpgsqlDbType.Varchar });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = e.Payload, NpgsqlDbType = NpgsqlDbType.Text });
        parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = e.CreatedAt.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        parameters.Add(new NpgsqlParameter<int> { TypedValue = e.SchemaVersion });
        parameters.Add(new NpgsqlParameter { Value = (object?)e.SessionId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Varchar });
        parameters.Add(new NpgsqlParameter { Value = (object?)e.ModelProfile ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Varchar });
        parameters.Add(new NpgsqlParameter { Value = (object?)e.ModelId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Varchar });
    }

    private static void AddBatchParameters(NpgsqlParameterCollection parameters, List<LedgerEvent> batch)
    {
        var n = batch.Count;
        var id = new string[n];
        var run = new string[n];
        var turn = new int[n];
        var kind = new string[n];
        var actor = new string[n];
        var payload = new string[n];
        var created = new DateTime[n];
        var version = new int[n];
        var session = new string?[n];
        var profile = new string?[n];
        var model = new string?[n];
        for (var i = 0; i < n; i++)
        {
            var e = batch[i];
            (id[i], run[i], turn[i], kind[i], actor[i], payload[i]) = (e.Id, e.RunId, e.Turn, e.Kind, e.Actor, e.Payload);
            (created[i], version[i], session[i], profile[i], model[i]) = (e.CreatedAt.UtcDateTime, e.SchemaVersion, e.SessionId, e.ModelProfile, e.ModelId);
        }

        parameters.Add(new NpgsqlParameter<string[]> { TypedValue = id });
        parameters.Add(new NpgsqlParameter<string[]> { TypedValue = run });
        parameters.Add(new NpgsqlParameter<int[]> { TypedValue = turn });
        parameters.Add(new NpgsqlParameter<string[]> { TypedValue = kind });
        parameters.Add(new NpgsqlParameter<string[]> { TypedValue = actor });
        parameters.Add(new NpgsqlParameter<string[]> { TypedValue = payload });
        parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = created, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        parameters.Add(new NpgsqlParameter<int[]> { TypedValue = version });
        parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = session });
        parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = profile });
        parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = model });
    }

    private static StoredEvent ReadRow(NpgsqlDataReader reader) => StoredRow.ToStoredEvent(
        offset: reader.GetInt64(EnvelopeColumns.Offset),
        id: reader.GetString(EnvelopeColumns.Id),
        runId: reader.GetString(EnvelopeColumns.RunId),
        turn: reader.GetInt32(EnvelopeColumns.Turn),
        kind: reader.GetString(EnvelopeColumns.Kind),
        actor: reader.GetString(EnvelopeColumns.Actor),
        payload: reader.GetString(EnvelopeColumns.Payload),
        createdAt: new DateTimeOffset(reader.GetFieldValue<DateTime>(EnvelopeColumns.CreatedAt).Ticks, TimeSpan.Zero),
        schemaVersion: reader.GetInt32(EnvelopeColumns.SchemaVersion),
        sessionId: reader.IsDBNull(EnvelopeColumns.SessionId) ? null : reader.GetString(EnvelopeColumns.SessionId),
        modelProfile: reader.IsDBNull(EnvelopeColumns.ModelProfile) ? null : reader.GetString(EnvelopeColumns.ModelProfile),
        modelId: reader.IsDBNull(EnvelopeColumns.ModelId) ? null : reader.GetString(EnvelopeColumns.ModelId));

    private void RequireWritable()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_options.ReadOnly)
        {
            throw new LedgerStorageException(LedgerErrorKind.ReadOnly, Display, "this ledger is open read-only");
        }
    }
}
