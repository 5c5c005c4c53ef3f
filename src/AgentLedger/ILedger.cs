namespace AgentLedger;

/// <summary>
/// The ledger contract every backend keeps. Appends are idempotent by id; the store-assigned offset
/// is the one global order; a batch is all or nothing; a follower never misses or repeats an event;
/// what was acknowledged survives a crash.
/// </summary>
/// <remarks>Open one instance per store and share it: it is safe for concurrent use.</remarks>
public interface ILedger : IAsyncDisposable
{
    /// <summary>Which backend and where (never with a password).</summary>
    LedgerDescription Description { get; }

    /// <summary>Appends one event; a stored id is never an error but a duplicate or a conflict outcome.</summary>
    ValueTask<AppendResult> AppendAsync(LedgerEvent ledgerEvent, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends events atomically, in the given order: either every new event is stored or none is.
    /// Ids already stored, or repeated within the batch, come back as duplicates or conflicts.
    /// </summary>
    ValueTask<IReadOnlyList<AppendResult>> AppendBatchAsync(IEnumerable<LedgerEvent> events, CancellationToken cancellationToken = default);

    /// <summary>Streams the events that match <paramref name="query"/>, in offset order, in constant memory.</summary>
    IAsyncEnumerable<StoredEvent> ReadAsync(EventQuery query, CancellationToken cancellationToken = default);

    /// <summary>The run ids, in the order of each run's first event.</summary>
    IAsyncEnumerable<string> ListRunsAsync(CancellationToken cancellationToken = default);

    /// <summary>The largest offset stored; 0 when the ledger is empty.</summary>
    ValueTask<long> LatestOffsetAsync(CancellationToken cancellationToken = default);

    /// <summary>How many events are stored.</summary>
    ValueTask<long> CountAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The events after <see cref="EventQuery.After"/>, then each new one as it is appended (by any
    /// process), until <paramref name="cancellationToken"/> is cancelled. Never skips or repeats an event.
    /// </summary>
    IAsyncEnumerable<StoredEvent> FollowAsync(EventQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Destructive: deletes every event of every run (the reference's semantics). Afterwards any id
    /// may be appended again.
    /// </summary>
    ValueTask ResetAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes events that already carry offsets (from another ledger), keeping those offsets; used by
    /// copy and snapshot. Atomic. Each offset must be greater than <see cref="LatestOffsetAsync"/> and
    /// each id new, else a <see cref="LedgerException"/> is raised and nothing is written.
    /// </summary>
    ValueTask RestoreAsync(IReadOnlyList<StoredEvent> events, CancellationToken cancellationToken = default);
}

/// <summary>A printable description of an open ledger.</summary>
/// <param name="Backend">memory, sqlite or postgres.</param>
/// <param name="Location">Path or URL, with any password masked.</param>
/// <param name="SchemaVersion">The layout version of the store (0 for in-memory).</param>
public sealed record LedgerDescription(string Backend, string Location, int SchemaVersion)
{
    public override string ToString() => $"{Backend} {Location}";
}

/// <summary>Implemented by stores that can tell how much disk they use.</summary>
public interface ILedgerStorageSize
{
    /// <summary>Bytes on disk (files, or table and index relations), or null when unknown.</summary>
    ValueTask<long?> SizeOnDiskAsync(CancellationToken cancellationToken = default);
}
