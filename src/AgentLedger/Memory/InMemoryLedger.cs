using System.Runtime.CompilerServices;
using AgentLedger.Storage;

namespace AgentLedger;

/// <summary>
/// The ledger in process memory: for tests, demos and short-lived runs. Keeps the same contract as
/// the durable backends (the conformance suite runs against it), except that nothing survives the process.
/// </summary>
public sealed class InMemoryLedger : ILedger
{
    private const int ReadChunk = 256;
    private const int ScanChunk = 4096;

    private readonly Lock _gate = new();
    private readonly List<StoredEvent> _events = [];
    private readonly Dictionary<string, StoredEvent> _byId = new(StringComparer.Ordinal);
    private readonly List<string> _runs = [];
    private readonly Dictionary<string, List<StoredEvent>> _byRun = new(StringComparer.Ordinal);
    private readonly ChangeNotifier _notifier = new(probe: null, Timeout.InfiniteTimeSpan);

    // Like SQLite's AUTOINCREMENT and a PostgreSQL sequence: offsets are never reused, even after a reset.
    private long _lastOffset;

    public LedgerDescription Description { get; } = new("memory", ":memory:", 0, 0);

    public ValueTask<AppendResult> AppendAsync(LedgerEvent ledgerEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledgerEvent);
        cancellationToken.ThrowIfCancellationRequested();
        var measurement = LedgerTelemetry.StartAppend(this, "append", 1);
        AppendResult result;
        lock (_gate)
        {
            result = AppendLocked(ledgerEvent);
        }

        measurement.Complete(new ReadOnlySpan<AppendResult>(in result));
        if (result.IsAppended)
        {
            _notifier.Notify();
        }

        return ValueTask.FromResult(result);
    }

    public ValueTask<IReadOnlyList<AppendResult>> AppendBatchAsync(IEnumerable<LedgerEvent> events, CancellationToken cancellationToken = default)
    {
        var batch = StoredRow.Materialize(events);
        cancellationToken.ThrowIfCancellationRequested();
        var measurement = LedgerTelemetry.StartAppend(this, "append_batch", batch.Count);
        var results = new AppendResult[batch.Count];
        lock (_gate)
        {
            for (var i = 0; i < batch.Count; i++)
            {
                results[i] = AppendLocked(batch[i]);
            }
        }

        measurement.Complete(results);
        if (Array.Exists(results, r => r.IsAppended))
        {
            _notifier.Notify();
        }

        return ValueTask.FromResult<IReadOnlyList<AppendResult>>(results);
    }

    public IAsyncEnumerable<StoredEvent> ReadAsync(EventQuery query, CancellationToken cancellationToken = default)
        => ScanAsync(query, backward: false, cancellationToken);

    public IAsyncEnumerable<StoredEvent> ReadBackwardAsync(EventQuery query, CancellationToken cancellationToken = default)
        => ScanAsync(query, backward: true, cancellationToken);

    public async IAsyncEnumerable<RunEntry> ListRunsAsync(RunListQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var page = new List<RunEntry>();
        lock (_gate)
        {
            // Runs are kept in the order of their first event, so first offsets ascend: the page's start is found
            // by binary search, and a page costs its size, not the number of runs.
            var (low, high) = (0, _runs.Count);
            while (low < high)
            {
                var middle = (low + high) >>> 1;
                var before = query.NewestFirst
                    ? query.Before is not { } limit || FirstOffset(middle) < limit
                    : FirstOffset(middle) <= query.After;
                (low, high) = before ? (middle + 1, high) : (low, middle);
            }

            // low: the first run not on the near side of the cursor (newest first: the page ends just below it).
            for (var i = query.NewestFirst ? low - 1 : low; i >= 0 && i < _runs.Count && page.Count < query.Limit; i += query.NewestFirst ? -1 : 1)
            {
                page.Add(new RunEntry(_runs[i], FirstOffset(i)));
            }
        }

        foreach (var entry in page)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return entry;
        }

        await Task.CompletedTask;
    }

    private long FirstOffset(int run) => _byRun[_runs[run]][0].Offset;

    public async IAsyncEnumerable<string> ListRunsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string[] runs;
        lock (_gate)
        {
            runs = [.. _runs];
        }

        foreach (var run in runs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return run;
        }

        await Task.CompletedTask;
    }

    public ValueTask<long> LatestOffsetAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            return ValueTask.FromResult(_events.Count == 0 ? 0 : _events[^1].Offset);
        }
    }

    public ValueTask<long> CountAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            return ValueTask.FromResult((long)_events.Count);
        }
    }

    public IAsyncEnumerable<StoredEvent> FollowAsync(EventQuery query, CancellationToken cancellationToken = default)
        => FollowLoop.RunAsync(this, query, _notifier, cancellationToken);

    public ValueTask ResetAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _events.Clear();
            _byId.Clear();
            _runs.Clear();
            _byRun.Clear();
        }

        return ValueTask.CompletedTask;
    }

    public async ValueTask<ImportResult> ImportAsync(IAsyncEnumerable<LedgerEvent> events, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);

        // Memory is the store here, so staging the stream costs nothing extra: take it whole, then commit it under the lock.
        var staged = new List<LedgerEvent>();
        await foreach (var e in events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            staged.Add(e ?? throw new ArgumentException($"an import must not contain null (entry {staged.Count} is null); nothing was written", nameof(events)));
        }

        var results = await AppendBatchAsync(staged, cancellationToken).ConfigureAwait(false);
        progress?.Report(results.Count);
        var tally = new AppendTally();
        tally.Add(results);
        return tally.ToImportResult();
    }

    public async ValueTask<long> RestoreAsync(IAsyncEnumerable<StoredEvent> events, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var staged = new List<StoredEvent>();
        await foreach (var stored in events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            staged.Add(stored ?? throw new ArgumentException("a restore must not contain null; nothing was written", nameof(events)));
        }

        lock (_gate)
        {
            var latest = _events.Count == 0 ? 0 : _events[^1].Offset;
            var ids = new HashSet<string>(StringComparer.Ordinal);
            foreach (var stored in staged)
            {
                if (stored.Offset <= latest)
                {
                    throw new RestoreConflictException(Description.Location, stored.Offset, stored.Event.Id, $"cannot restore offset {stored.Offset}: offsets must increase past {latest}");
                }

                if (_byId.ContainsKey(stored.Event.Id) || !ids.Add(stored.Event.Id))
                {
                    throw new RestoreConflictException(Description.Location, stored.Offset, stored.Event.Id, $"cannot restore event {stored.Event.Id}: its id is already stored");
                }

                latest = stored.Offset;
            }

            foreach (var stored in staged)
            {
                Store(stored);
            }
        }

        progress?.Report(staged.Count);
        _notifier.Notify();
        return staged.Count;
    }

    public async ValueTask DisposeAsync() => await _notifier.DisposeAsync().ConfigureAwait(false);

    /// <summary>
    /// Copies a bounded slice under the lock and yields it outside, so a slow reader never blocks writers;
    /// the window still to scan, (after, upTo], shrinks from the front (forwards) or the back (backwards).
    /// </summary>
    private async IAsyncEnumerable<StoredEvent> ScanAsync(EventQuery query, bool backward, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var remaining = query.Limit ?? int.MaxValue;
        var (after, upTo) = (query.After, query.UpTo ?? long.MaxValue);
        var chunk = new List<StoredEvent>(ReadChunk);
        var exhausted = false;
        while (remaining > 0 && !exhausted)
        {
            cancellationToken.ThrowIfCancellationRequested();
            chunk.Clear();
            lock (_gate)
            {
                // One run's events come from its own list: a run read does not scan the log.
                var source = SourceFor(query);
                var (first, end) = (FirstIndexAfter(source, after), FirstIndexAfter(source, upTo));
                var count = Math.Max(0, Math.Min(end - first, ScanChunk));
                for (var k = 0; k < count; k++)
                {
                    var stored = source[backward ? end - 1 - k : first + k];
                    if (query.Matches(stored))
                    {
                        chunk.Add(stored);
                    }
                }

                if (count > 0)
                {
                    (after, upTo) = backward ? (after, source[end - count].Offset - 1) : (source[first + count - 1].Offset, upTo);
                }

                exhausted = end - first <= ScanChunk;
            }

            foreach (var stored in chunk)
            {
                yield return stored;
                if (--remaining == 0)
                {
                    yield break;
                }
            }

            await Task.Yield();
        }
    }

    private List<StoredEvent> SourceFor(EventQuery query)
        => query.RunId is null ? _events : _byRun.GetValueOrDefault(query.RunId) ?? [];

    private AppendResult AppendLocked(LedgerEvent ledgerEvent)
    {
        if (_byId.TryGetValue(ledgerEvent.Id, out var existing))
        {
            var outcome = existing.Event.HasSameContentAs(ledgerEvent) ? AppendOutcome.Duplicate : AppendOutcome.Conflict;
            return new AppendResult(ledgerEvent.Id, outcome, existing.Offset);
        }

        if (_lastOffset == long.MaxValue)
        {
            throw new LedgerStorageException(LedgerErrorKind.InvalidData, Description.Location, "no offset is left: the latest offset is the largest a ledger can hold");
        }

        var stored = new StoredEvent(_lastOffset + 1, ledgerEvent);
        Store(stored);
        return new AppendResult(ledgerEvent.Id, AppendOutcome.Appended, stored.Offset);
    }

    private void Store(StoredEvent stored)
    {
        _events.Add(stored);
        _byId.Add(stored.Event.Id, stored);
        _lastOffset = Math.Max(_lastOffset, stored.Offset);
        if (!_byRun.TryGetValue(stored.Event.RunId, out var run))
        {
            _byRun.Add(stored.Event.RunId, run = []);
            _runs.Add(stored.Event.RunId);
        }

        run.Add(stored);
    }

    private static int FirstIndexAfter(List<StoredEvent> events, long offset)
    {
        int lo = 0, hi = events.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (events[mid].Offset <= offset)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
