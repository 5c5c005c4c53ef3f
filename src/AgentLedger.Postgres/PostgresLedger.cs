using System.Runtime.CompilerServices;
using Npgsql;
using NpgsqlTypes;

namespace AgentLedger.Postgres;

/// <summary>
/// The ledger in a PostgreSQL table, shared by many workers on many machines. Every append holds an
/// advisory lock from drawing its offset to its commit, so offsets become visible in order and a
/// follower reading by offset never misses one. Dropped connections are retried; appends are
/// idempotent by id, so a retry never doubles an event.
/// </summary>
public sealed partial class PostgresLedger : ILedger, ILedgerStorageSize
{
    private const int PageSize = 10_000;

    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresLedgerOptions _options;
    private readonly long _appendLockKey;
    private readonly AppendSignal _signal = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly Lock _listenerGate = new();
    private Task? _listener;

    private PostgresLedger(NpgsqlDataSource dataSource, PostgresLedgerOptions options, string display, string schema, long appendLockKey, int schemaVersion)
    {
        _dataSource = dataSource;
        _options = options;
        _appendLockKey = appendLockKey;
        Schema = schema;
        Description = new LedgerDescription("postgres", display, schemaVersion);
    }

    /// <summary>The schema that holds the <c>events</c> table.</summary>
    public string Schema { get; }

    public LedgerDescription Description { get; }

    private string Display => Description.Location;

    public async ValueTask<AppendResult> AppendAsync(LedgerEvent ledgerEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledgerEvent);
        RequireWritable();
        var result = await WithRetryAsync(async (attempt, ct) =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var batch = new NpgsqlBatch(connection);
            AddAppendLock(batch);
            var append = new NpgsqlBatchCommand(PostgresSql.AppendOne);
            AddEventParameters(append.Parameters, ledgerEvent);
            batch.BatchCommands.Add(append);
            AddNotify(batch);
            await using var reader = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (_options.OrderedCommits)
            {
                await reader.NextResultAsync(ct).ConfigureAwait(false);
            }

            if (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                return new AppendResult(ledgerEvent.Id, AppendOutcome.Appended, reader.GetInt64(0));
            }

            await reader.DisposeAsync().ConfigureAwait(false);

            // Stored already (the rare path): fetch it to tell a duplicate from a conflict.
            await using var select = new NpgsqlCommand(PostgresSql.SelectById, connection);
            select.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ledgerEvent.Id });
            await using var stored = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
            return await stored.ReadAsync(ct).ConfigureAwait(false)
                ? Outcome(ledgerEvent, ReadRow(stored, 0), attempt)
                : throw new RetryableRaceException(); // inserted by an unguarded writer after our snapshot, or reset meanwhile
        }, cancellationToken).ConfigureAwait(false);

        if (result.IsAppended)
        {
            _signal.Notify();
        }

        return result;
    }

    public async ValueTask<IReadOnlyList<AppendResult>> AppendBatchAsync(IEnumerable<LedgerEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        RequireWritable();

        // Materialise first: a throwing enumerator must leave the ledger untouched.
        var batch = events as IReadOnlyList<LedgerEvent> ?? [.. events];
        if (batch.Count == 0)
        {
            return [];
        }

        foreach (var e in batch)
        {
            ArgumentNullException.ThrowIfNull(e, nameof(events));
        }

        var results = await WithRetryAsync((attempt, ct) => AppendBatchOnceAsync(batch, attempt, ct), cancellationToken).ConfigureAwait(false);
        if (Array.Exists(results, r => r.IsAppended))
        {
            _signal.Notify();
        }

        return results;
    }

    public async IAsyncEnumerable<StoredEvent> ReadAsync(EventQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        var after = query.After;
        long remaining = query.Limit ?? long.MaxValue;

        // Pages in offset order: each page is one short query (retried on a dropped connection, resumed
        // after the last event yielded), so memory stays bounded and no snapshot is held for long.
        while (remaining > 0)
        {
            var page = query with { After = after, Limit = (int)Math.Min(remaining, PageSize) };
            var events = await WithRetryAsync((_, ct) => ReadPageAsync(page, ct), cancellationToken).ConfigureAwait(false);
            foreach (var stored in events)
            {
                yield return stored;
            }

            remaining -= events.Count;
            if (events.Count < page.Limit)
            {
                yield break;
            }

            after = events[^1].Offset;
        }
    }

    public async IAsyncEnumerable<string> ListRunsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // One row per run (not per event): small enough to read whole, which lets a dropped connection be retried.
        var runs = await WithRetryAsync(async (_, ct) =>
        {
            await using var command = _dataSource.CreateCommand(PostgresSql.ListRuns);
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

    public ValueTask<long> LatestOffsetAsync(CancellationToken cancellationToken = default) => ScalarAsync(PostgresSql.LatestOffset, cancellationToken);

    public ValueTask<long> CountAsync(CancellationToken cancellationToken = default) => ScalarAsync(PostgresSql.Count, cancellationToken);

    public IAsyncEnumerable<StoredEvent> FollowAsync(EventQuery query, CancellationToken cancellationToken = default)
    {
        EnsureListening();
        return FollowLoop.RunAsync(this, query, () => _signal.Next, _options.FollowPollInterval, cancellationToken);
    }

    public async ValueTask ResetAsync(CancellationToken cancellationToken = default)
    {
        RequireWritable();
        await WithRetryAsync(async (_, ct) =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var batch = new NpgsqlBatch(connection);
            AddAppendLock(batch);
            batch.BatchCommands.Add(new NpgsqlBatchCommand(PostgresSql.Reset));
            await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask RestoreAsync(IReadOnlyList<StoredEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        RequireWritable();
        if (events.Count == 0)
        {
            return;
        }

        for (var i = 1; i < events.Count; i++)
        {
            if (events[i].Offset <= events[i - 1].Offset)
            {
                throw new LedgerException($"cannot restore into {Display}: offsets must increase ({events[i - 1].Offset} then {events[i].Offset})");
            }
        }

        await WithRetryAsync((_, ct) => RestoreOnceAsync(events, ct), cancellationToken).ConfigureAwait(false);
        _signal.Notify();
    }

    public async ValueTask<long?> SizeOnDiskAsync(CancellationToken cancellationToken = default)
        => await ScalarAsync(PostgresSql.SizeOnDisk, cancellationToken).ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync().ConfigureAwait(false);
        if (_listener is not null)
        {
            await _listener.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await _dataSource.DisposeAsync().ConfigureAwait(false);
        _closing.Dispose();
    }

    private async Task<AppendResult[]> AppendBatchOnceAsync(IReadOnlyList<LedgerEvent> batch, int attempt, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        // Under the ordering lock: which ids are stored already? Only the others are inserted.
        var stored = await LockAndFindStoredAsync(connection, transaction, batch, cancellationToken).ConfigureAwait(false);
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
        if (fresh.Count > 0)
        {
            await using var insert = new NpgsqlCommand(PostgresSql.AppendBatch, connection, transaction);
            AddBatchParameters(insert.Parameters, fresh);
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                inserted[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        if (inserted.Count != fresh.Count)
        {
            throw new RetryableRaceException(); // an unguarded writer stored one of them meanwhile: start over
        }

        if (fresh.Count > 0)
        {
            await NotifyAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        var results = new AppendResult[batch.Count];
        var firstOf = new Dictionary<string, LedgerEvent>(StringComparer.Ordinal);
        for (var i = 0; i < batch.Count; i++)
        {
            var e = batch[i];
            if (stored.TryGetValue(e.Id, out var existing))
            {
                results[i] = firstOf.TryAdd(e.Id, e) ? Outcome(e, existing, attempt) : Outcome(e, existing, attempt: 0);
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

        return results;
    }

    private async Task<Dictionary<string, StoredEvent>> LockAndFindStoredAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<LedgerEvent> batch, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlBatch(connection, transaction);
        AddAppendLock(command);
        var select = new NpgsqlBatchCommand(PostgresSql.SelectByIds);
        select.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. batch.Select(e => e.Id)] });
        command.BatchCommands.Add(select);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (_options.OrderedCommits)
        {
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        }

        var stored = new Dictionary<string, StoredEvent>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var row = ReadRow(reader, 0);
            stored[row.Event.Id] = row;
        }

        return stored;
    }

    private async Task<int> RestoreOnceAsync(IReadOnlyList<StoredEvent> events, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            AddAppendLock(batch);
            batch.BatchCommands.Add(new NpgsqlBatchCommand(PostgresSql.LatestOffset));
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (_options.OrderedCommits)
            {
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            }

            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var latest = reader.GetInt64(0);
            if (events[0].Offset <= latest)
            {
                throw new LedgerException($"cannot restore offset {events[0].Offset} into {Display}: offsets must increase past {latest}");
            }
        }

        await using (var insert = new NpgsqlCommand(PostgresSql.Restore, connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. events.Select(s => s.Offset)] });
            AddBatchParameters(insert.Parameters, [.. events.Select(s => s.Event)]);
            try
            {
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                throw new LedgerException($"cannot restore into {Display}: an id of the batch is already stored ({ex.ConstraintName})", ex);
            }
        }

        await using (var advance = new NpgsqlCommand(PostgresSql.AdvanceSequence, connection, transaction))
        {
            await advance.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await NotifyAsync(connection, transaction, cancellationToken).ConfigureAwait(false);

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }

    private async Task<List<StoredEvent>> ReadPageAsync(EventQuery page, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(PostgresSql.Select(page));
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = page.After });
        if (page.UpTo is { } upTo)
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = upTo });
        }

        foreach (var (_, value) in PostgresSql.Filters(page))
        {
            if (value is not null)
            {
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = value });
            }
        }

        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = page.Limit!.Value });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var events = new List<StoredEvent>(Math.Min(page.Limit.Value, 1024));
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            events.Add(ReadRow(reader, 0));
        }

        return events;
    }

    private async Task NotifyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        if (!_options.Notifications)
        {
            return;
        }

        await using var notify = new NpgsqlCommand(PostgresSql.Notify, connection, transaction);
        notify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Channel });
        await notify.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<long> ScalarAsync(string sql, CancellationToken cancellationToken)
        => await WithRetryAsync(async (_, ct) =>
        {
            await using var command = _dataSource.CreateCommand(sql);
            return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>A stored event met again: duplicate or conflict; after a lost acknowledgement, our own earlier attempt.</summary>
    private static AppendResult Outcome(LedgerEvent incoming, StoredEvent stored, int attempt)
    {
        if (!stored.Event.HasSameContentAs(incoming))
        {
            return new AppendResult(incoming.Id, AppendOutcome.Conflict, stored.Offset);
        }

        // On a retry the identical stored row is most likely the commit whose acknowledgement the dropped connection lost.
        return new AppendResult(incoming.Id, attempt > 0 ? AppendOutcome.Appended : AppendOutcome.Duplicate, stored.Offset);
    }

    private void AddNotify(NpgsqlBatch batch)
    {
        if (!_options.Notifications)
        {
            return;
        }

        var command = new NpgsqlBatchCommand(PostgresSql.Notify);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Channel });
        batch.BatchCommands.Add(command);
    }

    private void AddAppendLock(NpgsqlBatch batch)
    {
        if (_options.OrderedCommits)
        {
            var command = new NpgsqlBatchCommand(PostgresSql.AppendLock);
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _appendLockKey });
            batch.BatchCommands.Add(command);
        }
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

    private static StoredEvent ReadRow(NpgsqlDataReader reader, int start)
    {
        var e = LedgerEvent.FromStore(
            id: reader.GetString(start + 1),
            runId: reader.GetString(start + 2),
            turn: reader.GetInt32(start + 3),
            kind: reader.GetString(start + 4),
            actor: reader.GetString(start + 5),
            payload: reader.GetString(start + 6),
            createdAt: new DateTimeOffset(reader.GetFieldValue<DateTime>(start + 7).Ticks, TimeSpan.Zero),
            schemaVersion: reader.GetInt32(start + 8),
            sessionId: reader.IsDBNull(start + 9) ? null : reader.GetString(start + 9),
            modelProfile: reader.IsDBNull(start + 10) ? null : reader.GetString(start + 10),
            modelId: reader.IsDBNull(start + 11) ? null : reader.GetString(start + 11));
        return new StoredEvent(reader.GetInt64(start), e);
    }

    private void RequireWritable()
    {
        if (_options.ReadOnly)
        {
            throw new LedgerStorageException(Display, "this ledger is open read-only");
        }
    }
}
