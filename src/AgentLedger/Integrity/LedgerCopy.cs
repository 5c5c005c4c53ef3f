using System.Runtime.CompilerServices;

namespace AgentLedger;

/// <summary>How <see cref="LedgerCopy.CopyAsync"/> treats the destination.</summary>
public enum CopyMode
{
    /// <summary>Keep every offset; the destination must be empty.</summary>
    PreserveOffsets,

    /// <summary>Append into a destination that may hold events: new offsets, ids already there are skipped.</summary>
    Merge,
}

/// <summary>What a copy did. The digests cover exactly the events copied: the source up to <see cref="UpTo"/>.</summary>
public sealed record CopyReport(long Copied, long Duplicates, long Conflicts, long UpTo, LedgerDigest? SourceDigest, LedgerDigest? DestinationDigest)
{
    /// <summary>True when both digests were computed and agree.</summary>
    public bool Verified => SourceDigest is not null && SourceDigest == DestinationDigest;
}

/// <summary>Snapshot one ledger into another (a PostgreSQL run into a portable SQLite file, and back).</summary>
public static class LedgerCopy
{
    /// <summary>
    /// Streams every event of <paramref name="source"/> (up to its latest offset when the copy starts)
    /// into <paramref name="destination"/> as one unit, in bounded memory: the copy either finishes or
    /// leaves the destination as it was. With <see cref="CopyMode.PreserveOffsets"/> (the default) the
    /// destination must be empty and ends up with the same events at the same offsets.
    /// </summary>
    /// <param name="progress">Receives the number of events copied so far, now and then.</param>
    /// <param name="verify">Compute both digests afterwards (reads both ledgers once more).</param>
    /// <exception cref="DestinationNotEmptyException">Offsets are to be kept but the destination holds events.</exception>
    public static async Task<CopyReport> CopyAsync(
        ILedgerReader source,
        ILedger destination,
        CopyMode mode = CopyMode.PreserveOffsets,
        bool verify = false,
        IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        if (mode == CopyMode.PreserveOffsets && await destination.CountAsync(cancellationToken).ConfigureAwait(false) != 0)
        {
            throw new DestinationNotEmptyException(destination.Description.ToString());
        }

        // Fix the end first: events appended to the source while we copy are neither half-included nor in the digest.
        var upTo = await source.LatestOffsetAsync(cancellationToken).ConfigureAwait(false);
        var events = source.ReadAsync(new EventQuery { UpTo = upTo }, cancellationToken);
        long copied, duplicates = 0, conflicts = 0;
        if (mode == CopyMode.PreserveOffsets)
        {
            copied = await destination.RestoreAsync(events, progress, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var result = await destination.ImportAsync(EnvelopesOf(events, cancellationToken), progress, cancellationToken).ConfigureAwait(false);
            (copied, duplicates, conflicts) = (result.Appended, result.Duplicates, result.Conflicts);
        }

        if (!verify)
        {
            return new CopyReport(copied, duplicates, conflicts, upTo, null, null);
        }

        var sourceDigest = await LedgerDigest.ComputeAsync(source, upTo, cancellationToken).ConfigureAwait(false);
        var destinationDigest = mode == CopyMode.PreserveOffsets
            ? await LedgerDigest.ComputeAsync(destination, upTo, cancellationToken).ConfigureAwait(false)
            : null;
        return new CopyReport(copied, duplicates, conflicts, upTo, sourceDigest, destinationDigest);
    }

    private static async IAsyncEnumerable<LedgerEvent> EnvelopesOf(IAsyncEnumerable<StoredEvent> events, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var stored in events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return stored.Event;
        }
    }
}
