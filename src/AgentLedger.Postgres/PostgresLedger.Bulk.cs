using Npgsql;

namespace AgentLedger.Postgres;

public sealed partial class PostgresLedger
{
    /// <summary>At most this many events per statement during an import or restore: bounds memory, not the transaction.</summary>
    private const int BulkChunk = 1000;

    /// <summary>And at most about this many characters of payload: a thousand 100 KB payloads would be 200 MB in memory.</summary>
    private const long BulkChunkChars = 2_000_000;

    /// <summary>
    /// One transaction for the whole stream, fed a chunk at a time: memory stays bounded and anything that
    /// fails rolls everything back. It holds the append lock throughout, so followers wait at its offsets until it ends. A
    /// stream cannot be replayed, so a dropped connection is not retried: nothing was written, run it again.
    /// </summary>
    public async ValueTask<ImportResult> ImportAsync(IAsyncEnumerable<LedgerEvent> events, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        RequireWritable();
        var tally = new AppendTally();
        await OnceAsync(async ct =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            var chunk = new List<LedgerEvent>(BulkChunk);
            long chunkChars = 0;
            var locked = false;
            async Task FlushAsync()
            {
                if (chunk.Count == 0)
                {
                    return;
                }

                var measurement = LedgerTelemetry.StartAppend(this, "import", chunk.Count);
                var (results, _) = await AppendChunkAsync(connection, transaction, chunk, attempt: 0, floor: 0, takeLock: !locked, ct).ConfigureAwait(false);
                locked = true;
                tally.Add(results);
                measurement.Complete(results);
                chunk.Clear();
                chunkChars = 0;
                progress?.Report(tally.Total);
            }

            await foreach (var e in events.WithCancellation(ct).ConfigureAwait(false))
            {
                chunk.Add(e ?? throw new ArgumentException($"an import must not contain null (entry {tally.Total + chunk.Count} is null); nothing was written", nameof(events)));
                chunkChars += e.Payload.Length;
                if (chunk.Count == BulkChunk || chunkChars >= BulkChunkChars)
                {
                    await FlushAsync().ConfigureAwait(false);
                }
            }

            await FlushAsync().ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

        if (tally.Appended > 0)
        {
            Committed();
        }

        return tally.ToImportResult();
    }

    public async ValueTask<long> RestoreAsync(IAsyncEnumerable<StoredEvent> events, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        RequireWritable();
        long written = 0;
        await OnceAsync(async ct =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            long latest;
            await using (var batch = new NpgsqlBatch(connection, transaction))
            {
                AddAppendLock(batch, exclusive: true); // explicit offsets: no append may interleave
                batch.BatchCommands.Add(new NpgsqlBatchCommand(PostgresSql.LatestOffset));
                await using var reader = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await reader.NextResultAsync(ct).ConfigureAwait(false);

                await reader.ReadAsync(ct).ConfigureAwait(false);
                latest = reader.GetInt64(0);
            }

            var chunk = new List<StoredEvent>(BulkChunk);
            long chunkChars = 0;
            async Task FlushAsync()
            {
                if (chunk.Count == 0)
                {
                    return;
                }

                // Name the event whose id is taken, instead of a bare unique violation.
                var stored = await FindStoredAsync(connection, transaction, [.. chunk.Select(s => s.Event)], takeLock: false, ct).ConfigureAwait(false);
                if (chunk.FirstOrDefault(s => stored.ContainsKey(s.Event.Id)) is { } taken)
                {
                    throw new RestoreConflictException(Display, taken.Offset, taken.Event.Id, $"cannot restore event {taken.Event.Id}: its id is already stored; nothing was written");
                }

                await using var insert = new NpgsqlCommand(PostgresSql.Restore, connection, transaction) { CommandTimeout = BulkTimeoutSeconds };
                insert.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. chunk.Select(s => s.Offset)] });
                AddBatchParameters(insert.Parameters, [.. chunk.Select(s => s.Event)]);
                try
                {
                    await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }
                catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
                {
                    throw new RestoreConflictException(Display, chunk[0].Offset, chunk[0].Event.Id, $"cannot restore: an id of the events from offset {chunk[0].Offset} is already stored; nothing was written");
                }

                written += chunk.Count;
                chunk.Clear();
                chunkChars = 0;
                progress?.Report(written);
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            await foreach (var stored in events.WithCancellation(ct).ConfigureAwait(false))
            {
                ArgumentNullException.ThrowIfNull(stored, nameof(events));
                if (stored.Offset <= latest)
                {
                    throw new RestoreConflictException(Display, stored.Offset, stored.Event.Id, $"cannot restore offset {stored.Offset}: offsets must increase past {latest}; nothing was written");
                }

                if (!seen.Add(stored.Event.Id))
                {
                    throw new RestoreConflictException(Display, stored.Offset, stored.Event.Id, $"cannot restore event {stored.Event.Id}: its id appears twice; nothing was written");
                }

                latest = stored.Offset;
                chunk.Add(stored);
                chunkChars += stored.Event.Payload.Length;
                if (chunk.Count == BulkChunk || chunkChars >= BulkChunkChars)
                {
                    seen.Clear();
                    await FlushAsync().ConfigureAwait(false);
                }
            }

            await FlushAsync().ConfigureAwait(false);
            await using (var advance = new NpgsqlCommand(PostgresSql.AdvanceSequence, connection, transaction))
            {
                await advance.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            await transaction.CommitAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

        if (written > 0)
        {
            Committed();
        }

        return written;
    }
}
