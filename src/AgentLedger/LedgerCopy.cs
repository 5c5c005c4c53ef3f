namespace AgentLedger;

/// <summary>How <see cref="LedgerCopy.CopyAsync"/> treats the destination.</summary>
public enum CopyMode
{
    /// <summary>Keep every offset; the destination must be empty.</summary>
    PreserveOffsets,

    /// <summary>Append into a destination that may hold events: new offsets, ids already there are skipped.</summary>
    Merge,
}

/// <summary>What a copy did.</summary>
public sealed record CopyReport(long Copied, long Duplicates, long Conflicts, LedgerDigest? SourceDigest, LedgerDigest? DestinationDigest)
{
    /// <summary>True when both digests were computed and agree.</summary>
    public bool Verified => SourceDigest is not null && SourceDigest == DestinationDigest;
}

/// <summary>Snapshot one ledger into another (a PostgreSQL run into a portable SQLite file, and back).</summary>
public static class LedgerCopy
{
    public const int DefaultBatchSize = 1000;

    /// <summary>
    /// Streams every event of <paramref name="source"/> into <paramref name="destination"/> in batches,
    /// in constant memory. With <see cref="CopyMode.PreserveOffsets"/> (the default) the destination
    /// must be empty and ends up with the same events at the same offsets.
    /// </summary>
    /// <param name="progress">Receives the number of events copied so far, after each batch.</param>
    /// <param name="verify">Compute both digests afterwards (reads both ledgers once more).</param>
    public static async Task<CopyReport> CopyAsync(
        ILedger source,
        ILedger destination,
        CopyMode mode = CopyMode.PreserveOffsets,
        bool verify = false,
        IProgress<long>? progress = null,
        int batchSize = DefaultBatchSize,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (mode == CopyMode.PreserveOffsets && await destination.CountAsync(cancellationToken).ConfigureAwait(false) != 0)
        {
            throw new LedgerException(
                $"cannot copy into {destination.Description}: it already holds events; copy into an empty ledger, or merge (new offsets, known ids skipped)");
        }

        // Fix the end first: events appended to the source while we copy are not half-included.
        var upTo = await source.LatestOffsetAsync(cancellationToken).ConfigureAwait(false);
        long copied = 0;
        var merged = new AppendTally();
        var batch = new List<StoredEvent>(batchSize);
        await foreach (var stored in source.ReadAsync(new EventQuery { UpTo = upTo }, cancellationToken).ConfigureAwait(false))
        {
            batch.Add(stored);
            if (batch.Count == batchSize)
            {
                await FlushAsync().ConfigureAwait(false);
            }
        }

        await FlushAsync().ConfigureAwait(false);
        if (!verify)
        {
            return new CopyReport(copied + merged.Appended, merged.Duplicates, merged.Conflicts, null, null);
        }

        var sourceDigest = await LedgerDigest.ComputeAsync(source, cancellationToken).ConfigureAwait(false);
        var destinationDigest = await LedgerDigest.ComputeAsync(destination, cancellationToken).ConfigureAwait(false);
        return new CopyReport(copied + merged.Appended, merged.Duplicates, merged.Conflicts, sourceDigest, destinationDigest);

        async Task FlushAsync()
        {
            if (batch.Count == 0)
            {
                return;
            }

            if (mode == CopyMode.PreserveOffsets)
            {
                await destination.RestoreAsync(batch, cancellationToken).ConfigureAwait(false);
                copied += batch.Count;
            }
            else
            {
                merged.Add(await destination.AppendBatchAsync(batch.Select(s => s.Event), cancellationToken).ConfigureAwait(false));
            }

            progress?.Report(copied + merged.Total);
            batch.Clear();
        }
    }
}
