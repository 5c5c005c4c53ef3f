namespace AgentLedger;

/// <summary>What every role shares: which ledger this is.</summary>
public interface ILedgerInfo
{
    /// <summary>Which backend and where (never with a password).</summary>
    LedgerDescription Description { get; }
}

/// <summary>
/// The reading role: what a viewer, a dashboard or a projection may do. Every read streams in offset
/// order (or, backwards, newest first) in constant memory; a follower never skips or repeats an event.
/// </summary>
public interface ILedgerReader : ILedgerInfo
{
    /// <summary>Streams the events that match <paramref name="query"/>, oldest first.</summary>
    IAsyncEnumerable<StoredEvent> ReadAsync(EventQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Streams the events that match <paramref name="query"/>, newest first: with <see cref="EventQuery.Limit"/>
    /// the last N events (of the log, or of one run), without counting back from the latest offset.
    /// </summary>
    IAsyncEnumerable<StoredEvent> ReadBackwardAsync(EventQuery query, CancellationToken cancellationToken = default);

    /// <summary>The run ids, in the order of each run's first event.</summary>
    IAsyncEnumerable<string> ListRunsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// One page of the runs, with each run's first offset (see <see cref="RunListQuery"/>). The built-in backends
    /// read it from their run index; this default, for other implementations, walks the whole listing.
    /// </summary>
    async IAsyncEnumerable<RunEntry> ListRunsAsync(RunListQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var entries = new List<RunEntry>();
        await foreach (var run in ListRunsAsync(cancellationToken).ConfigureAwait(false))
        {
            await foreach (var first in ReadAsync(new EventQuery { RunId = run, Limit = 1 }, cancellationToken).ConfigureAwait(false))
            {
                entries.Add(new RunEntry(run, first.Offset));
            }
        }

        var page = query.NewestFirst
            ? entries.Where(e => query.Before is not { } before || e.FirstOffset < before).OrderByDescending(e => e.FirstOffset)
            : entries.Where(e => e.FirstOffset > query.After).OrderBy(e => e.FirstOffset);
        foreach (var entry in page.Take(query.Limit))
        {
            yield return entry;
        }
    }

    /// <summary>The largest offset stored; 0 when the ledger is empty.</summary>
    ValueTask<long> LatestOffsetAsync(CancellationToken cancellationToken = default);

    /// <summary>How many events are stored.</summary>
    ValueTask<long> CountAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The events after <see cref="EventQuery.After"/>, then each new one as it is appended (by any
    /// process), until <paramref name="cancellationToken"/> is cancelled. Never skips or repeats an event.
    /// </summary>
    IAsyncEnumerable<StoredEvent> FollowAsync(EventQuery query, CancellationToken cancellationToken = default);
}

/// <summary>
/// The writing role: what an agent, a middleware or an HTTP endpoint may do. Appends are idempotent by
/// id: a stored id is never an error but a duplicate or a conflict outcome.
/// </summary>
public interface ILedgerWriter : ILedgerInfo
{
    /// <summary>Appends one event.</summary>
    ValueTask<AppendResult> AppendAsync(LedgerEvent ledgerEvent, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends events atomically, in the given order: either every new event is stored or none is.
    /// Ids already stored, or repeated within the batch, come back as duplicates or conflicts. The whole
    /// batch is checked before anything is written: a null entry is an <see cref="ArgumentException"/>.
    /// </summary>
    ValueTask<IReadOnlyList<AppendResult>> AppendBatchAsync(IEnumerable<LedgerEvent> events, CancellationToken cancellationToken = default);
}

/// <summary>
/// Bulk and destructive operations, kept apart from the everyday roles so that a viewer or an agent is
/// never handed them by accident.
/// </summary>
public interface ILedgerMaintenance : ILedgerInfo
{
    /// <summary>
    /// Appends a stream of events of any length as one unit, in bounded memory: every new event is
    /// stored or, if anything fails (a bad event, the disk, the connection), none is. Ids already stored
    /// are counted as duplicates or conflicts, as <see cref="ILedgerWriter.AppendBatchAsync"/> would.
    /// </summary>
    /// <param name="progress">Receives the number of events handled so far, now and then.</param>
    ValueTask<ImportResult> ImportAsync(IAsyncEnumerable<LedgerEvent> events, IProgress<long>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes events that already carry offsets (from another ledger), keeping those offsets; used by
    /// copy and snapshot. One unit, in bounded memory: each offset must be greater than the one before
    /// and than <see cref="ILedgerReader.LatestOffsetAsync"/>, and each id new, else a
    /// <see cref="RestoreConflictException"/> is raised and nothing is written.
    /// </summary>
    /// <returns>How many events were written.</returns>
    ValueTask<long> RestoreAsync(IAsyncEnumerable<StoredEvent> events, IProgress<long>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Destructive: deletes every event of every run (the reference's semantics). Offsets are never
    /// reused afterwards, so a follower stays exact; any id may be appended again.
    /// </summary>
    ValueTask ResetAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// The whole ledger: reader, writer and maintenance in one object, for scripts and tools. Hand a
/// component only the role it needs (<see cref="ILedgerReader"/>, <see cref="ILedgerWriter"/>).
/// </summary>
/// <remarks>Open one instance per store and share it: it is safe for concurrent use.</remarks>
public interface ILedger : ILedgerReader, ILedgerWriter, ILedgerMaintenance, IAsyncDisposable;

/// <summary>A printable description of an open ledger.</summary>
/// <param name="Backend">memory, sqlite, postgres, or a third party's name.</param>
/// <param name="Location">Path or URL, with any password masked.</param>
/// <param name="SchemaVersion">The layout version of the store (0 for in-memory).</param>
/// <param name="MaxKnownSchemaVersion">The newest layout version this backend knows.</param>
public sealed record LedgerDescription(string Backend, string Location, int SchemaVersion, int MaxKnownSchemaVersion)
{
    public override string ToString() => $"{Backend} {Location}";
}

/// <summary>What <see cref="ILedgerMaintenance.ImportAsync"/> did.</summary>
public sealed record ImportResult(long Appended, long Duplicates, long Conflicts)
{
    public long Total => Appended + Duplicates + Conflicts;
}

/// <summary>Implemented by stores that can tell how much disk they use.</summary>
public interface ILedgerStorageSize
{
    /// <summary>Bytes on disk (files, or table and index relations), or null when unknown.</summary>
    ValueTask<long?> SizeOnDiskAsync(CancellationToken cancellationToken = default);
}
