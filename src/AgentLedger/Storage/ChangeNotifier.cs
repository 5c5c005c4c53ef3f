namespace AgentLedger.Storage;

/// <summary>
/// One change detector per ledger object, shared by all of its followers: they wait on <see cref="Next"/>
/// and never poll themselves, so a thousand idle followers cost what one costs. Appends in this process
/// call <see cref="Notify"/>; changes made elsewhere (other processes, other machines) are found by one
/// cheap probe (SQLite: <c>PRAGMA data_version</c>; PostgreSQL: the latest offset, besides LISTEN) that
/// runs only while someone is watching.
/// </summary>
/// <remarks>
/// The rule that makes it lossless: take <see cref="Next"/> before looking for new events, then await it.
/// A change that lands in between completes the task already taken, so no wake-up is lost.
/// </remarks>
public sealed class ChangeNotifier : IAsyncDisposable
{
    private readonly Func<CancellationToken, ValueTask<long>>? _probe;
    private readonly TimeSpan _pollInterval;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _closing = new();
    private TaskCompletionSource _next = NewSource();
    private int _watchers;
    private Task? _poller;
    private long _probes;
    private int _closed;

    /// <param name="probe">
    /// Returns a number that changes whenever the store changed (a data version, the latest offset); null
    /// when every change comes through <see cref="Notify"/> (the in-memory backend).
    /// </param>
    /// <param name="pollInterval">How often <paramref name="probe"/> runs while anyone watches.</param>
    public ChangeNotifier(Func<CancellationToken, ValueTask<long>>? probe, TimeSpan pollInterval)
    {
        if (probe is not null)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(pollInterval, TimeSpan.Zero);
        }

        _probe = probe;
        _pollInterval = pollInterval;
    }

    /// <summary>Completes at the next change after it was read; once the notifier is disposed, at once.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    /// <summary>True once disposed: its ledger is closing, and followers must stop rather than wait.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>How many followers are watching now.</summary>
    public int Watchers => Volatile.Read(ref _watchers);

    /// <summary>How many times the probe has run (what idle followers cost, for measuring).</summary>
    public long Probes => Interlocked.Read(ref _probes);

    /// <summary>Wakes every waiting follower.</summary>
    public void Notify()
    {
        // Once closed, the completed source stays in place: a follower that looks again is not left waiting.
        if (!IsClosed)
        {
            Interlocked.Exchange(ref _next, NewSource()).TrySetResult();
        }
    }

    /// <summary>Registers a watcher; the probe runs while at least one is registered. Dispose to leave.</summary>
    public IDisposable Watch()
    {
        lock (_gate)
        {
            _watchers++;
            if (_probe is not null && _poller is null && !_closing.IsCancellationRequested)
            {
                _poller = Task.Run(() => PollAsync(_closing.Token));
            }
        }

        return new Watcher(this);
    }

    public async ValueTask DisposeAsync()
    {
        Task? poller;
        lock (_gate)
        {
            if (_closing.IsCancellationRequested)
            {
                return;
            }

            _closing.Cancel();
            poller = _poller;
            Volatile.Write(ref _closed, 1);
        }

        Volatile.Read(ref _next).TrySetResult();

        if (poller is not null)
        {
            await poller.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _closing.Dispose();
    }

    private void Leave()
    {
        lock (_gate)
        {
            _watchers--;
        }
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        long? last = null;
        try
        {
            while (true)
            {
                long current;
                try
                {
                    Interlocked.Increment(ref _probes);
                    current = await _probe!(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception) when (!cancellationToken.IsCancellationRequested)
                {
                    // Let followers look for themselves: their own read then reports (or retries) the failure.
                    current = long.MinValue;
                }

                // The first probe also wakes: a change between a follower's last read and the baseline is not lost.
                if (current != last || current == long.MinValue)
                {
                    last = current;
                    Notify();
                }

                await Task.Delay(_pollInterval, cancellationToken).ConfigureAwait(false);
                lock (_gate)
                {
                    if (_watchers == 0)
                    {
                        _poller = null;
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class Watcher(ChangeNotifier owner) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Leave();
            }
        }
    }
}
