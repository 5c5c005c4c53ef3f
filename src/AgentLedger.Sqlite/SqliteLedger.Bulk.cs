using AgentLedger.Storage;
using Microsoft.Data.Sqlite;

namespace AgentLedger.Sqlite;

public sealed partial class SqliteLedger
{
    /// <summary>Events handled per look-up of stored ids during an import: bounds memory, not the transaction.</summary>
    private const int ImportChunk = 1000;

    /// <summary>And at most about this many characters of payload per chunk, whatever the payloads' size.</summary>
    private const long ImportChunkChars = 2_000_000;

    /// <summary>
    /// One IMMEDIATE transaction for the whole stream, fed a chunk at a time: memory stays bounded, and
    /// anything that fails (a bad event, a full disk, a cancelled token) rolls everything back. Other
    /// processes' writers wait for it (up to their busy timeout), as for any SQLite write.
    /// </summary>
    public async ValueTask<ImportResult> ImportAsync(IAsyncEnumerable<LedgerEvent> events, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var writer = RequireWriter();
        var tally = new AppendTally();
        await EnterWriteGateAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var transaction = Guard(() => writer.BeginTransaction(deferred: false));
            var chunk = new List<LedgerEvent>(ImportChunk);
            long chunkChars = 0;
            var results = new AppendResult[ImportChunk];
            await foreach (var e in events.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                chunk.Add(e ?? throw new ArgumentException($"an import must not contain null (entry {tally.Total + chunk.Count} is null); nothing was written", nameof(events)));
                chunkChars += e.Payload.Length;
                if (chunk.Count == ImportChunk || chunkChars >= ImportChunkChars)
                {
                    Flush();
                }
            }

            Flush();
            Guard(() =>
            {
                transaction.Commit();
                return 0;
            });

            void Flush()
            {
                if (chunk.Count == 0)
                {
                    return;
                }

                var measurement = LedgerTelemetry.StartAppend(this, "import", chunk.Count);
                var span = results.AsSpan(0, chunk.Count);
                Guard(() =>
                {
                    AppendBatchLocked(chunk, results.AsSpan(0, chunk.Count), cancellationToken);
                    return 0;
                });
                tally.Add(span);
                measurement.Complete(span);
                chunk.Clear();
                chunkChars = 0;
                progress?.Report(tally.Total);
            }
        }
        finally
        {
            _writeGate.Release();
        }

        if (tally.Appended > 0)
        {
            _notifier.Notify();
        }

        return tally.ToImportResult();
    }

    public async ValueTask<long> RestoreAsync(IAsyncEnumerable<StoredEvent> events, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var writer = RequireWriter();
        long written = 0;
        await EnterWriteGateAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var transaction = Guard(() => writer.BeginTransaction(deferred: false));
            using var insert = writer.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = SqliteSql.InsertWithOffset;
            var offset = insert.Parameters.Add("$offset", SqliteType.Integer);
            var parameters = EventParameters.AddTo(insert);
            var latest = Guard(() =>
            {
                insert.Prepare();
                using var latestCommand = writer.CreateCommand();
                latestCommand.Transaction = transaction;
                latestCommand.CommandText = SqliteSql.LatestOffset;
                return (long)latestCommand.ExecuteScalar()!;
            });
            await foreach (var stored in events.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                ArgumentNullException.ThrowIfNull(stored, nameof(events));
                if (stored.Offset <= latest)
                {
                    throw new RestoreConflictException(Path, stored.Offset, stored.Event.Id, $"cannot restore offset {stored.Offset}: offsets must increase past {latest}; nothing was written");
                }

                offset.Value = stored.Offset;
                parameters.Bind(stored.Event);
                try
                {
                    insert.ExecuteNonQuery();
                }
                catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteErrorCodes.Constraint)
                {
                    throw new RestoreConflictException(Path, stored.Offset, stored.Event.Id, $"cannot restore event {stored.Event.Id}: its id is already stored; nothing was written");
                }
                catch (SqliteException ex)
                {
                    throw Translate(Path, ex);
                }

                latest = stored.Offset;
                if (++written % ImportChunk == 0)
                {
                    progress?.Report(written);
                }
            }

            Guard(() =>
            {
                transaction.Commit();
                return 0;
            });
        }
        finally
        {
            _writeGate.Release();
        }

        progress?.Report(written);
        if (written > 0)
        {
            _notifier.Notify();
        }

        return written;
    }
}
