using System.Runtime.CompilerServices;

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
    private readonly AppendSignal _signal = new();

    // Like SQLite's AUTOINCREMENT and a PostgreSQL sequence: offsets are never reused, even after a reset.
    private long _lastOffset;

    public LedgerDescription Description { get; } = new("memory", ":memory:", 0);

    public ValueTask<AppendResult> AppendAsync(LedgerEvent ledgerEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledgerEvent);
        cancellationToken.ThrowIfCancellationRequested();
        AppendResult result;
        lock (_gate)
        {
            result = AppendLocked(ledgerEvent);
        }

        if (result.IsAppended)
        {
            _signal.Notify();
        }

        return ValueTask.FromResult(result);
    }

    public ValueTask<IReadOnlyList<AppendResult>> AppendBatchAsync(IEnumerable<LedgerEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);

        // Materialise first: an enumerator that throws half-way must leave the ledger untouched.
        var batch = events.ToList();
        cancellationToken.ThrowIfCancellationRequested();
        var results = new AppendResult[batch.Count];
        lock (_gate)
        {
            for (var i = 0; i < batch.Count; i++)
            {
                results[i] = AppendLocked(batch[i] ?? throw new ArgumentException("a batch must not contain null", nameof(events)));
            }
        }

        if (Array.Exists(results, r => r.IsAppended))
        {
            _signal.Notify();
        }

        return ValueTask.FromResult<IReadOnlyList<AppendResult>>(results);
    }

    public async IAsyncEnumerable<StoredEvent> ReadAsync(EventQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        var remaining = query.Limit ?? int.MaxValue;
        var after = query.After;
        var chunk = new List<StoredEvent>(ReadChunk);
        var exhausted = false;
        while (remaining > 0 && !exhausted)
        {
            cancellationToken.ThrowIfCancellationRequested();
            chunk.Clear();

            // Copy a bounded slice under the lock, yield it outside: a slow reader never blocks writers.
            lock (_gate)
            {
                // One run's events come from its own list: a run read does not scan the log.
                var source = query.RunId is null ? _events : _byRun.GetValueOrDefault(query.RunId) ?? [];
                var i = FirstIndexAfter(source, after);
                for (var scanned = 0; i < source.Count && scanned < ScanChunk; i++, scanned++)
                {
                    var stored = source[i];
                    if (query.UpTo < stored.Offset)
                    {
                        i = source.Count;
                        break;
                    }

                    after = stored.Offset;
                    if (query.Matches(stored))
                    {
                        chunk.Add(stored);
                    }
                }

                exhausted = i >= source.Count;
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
        lock (_gate)
        {
            return ValueTask.FromResult(_events.Count == 0 ? 0 : _events[^1].Offset);
        }
    }

    public ValueTask<long> CountAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult((long)_events.Count);
        }
    }

    public IAsyncEnumerable<StoredEvent> FollowAsync(EventQuery query, CancellationToken cancellationToken = default)
        => FollowLoop.RunAsync(this, query, () => _signal.Next, Timeout.InfiniteTimeSpan, cancellationToken);

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

    public ValueTask RestoreAsync(IReadOnlyList<StoredEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        lock (_gate)
        {
            var latest = _events.Count == 0 ? 0 : _events[^1].Offset;
            var ids = new HashSet<string>(StringComparer.Ordinal);
            foreach (var stored in events)
            {
                if (stored.Offset <= latest)
                {
                    throw new LedgerException($"cannot restore offset {stored.Offset}: offsets must increase past {latest}");
                }

                if (_byId.ContainsKey(stored.Event.Id) || !ids.Add(stored.Event.Id))
                {
                    throw new LedgerException($"cannot restore event {stored.Event.Id}: its id is already stored");
                }

                latest = stored.Offset;
            }

            foreach (var stored in events)
            {
                Store(stored);
            }
        }

        _signal.Notify();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private AppendResult AppendLocked(LedgerEvent ledgerEvent)
    {
        if (_byId.TryGetValue(ledgerEvent.Id, out var existing))
        {
            var outcome = existing.Event.HasSameContentAs(ledgerEvent) ? AppendOutcome.Duplicate : AppendOutcome.Conflict;
            return new AppendResult(ledgerEvent.Id, outcome, existing.Offset);
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
