using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace AgentLedger.Server;

/// <summary>
/// One follower of the served ledger feeding every open stream from memory: N subscribers cost one read of
/// each new event, not N. A subscriber first reads what it missed from the store (up to the hub's position
/// when it joined), then takes the hub's events after that position, so it never misses or repeats one.
/// A subscriber too slow for its buffer is dropped from the hub and catches up from the store again.
/// </summary>
internal sealed class StreamHub(ILedgerReader reader, CancellationToken stopping, int buffer = 4096)
{

    private readonly Lock _gate = new();
    private readonly List<Subscription> _subscriptions = [];
    private Task? _started;
    private long _position;

    /// <summary>The events matching <paramref name="query"/> after its <see cref="EventQuery.After"/>, then each new one.</summary>
    public async IAsyncEnumerable<StoredEvent> SubscribeAsync(EventQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var last = query.After;
        while (true)
        {
            var subscription = await JoinAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (last < subscription.Start)
                {
                    await foreach (var missed in reader.ReadAsync(query with { After = last, UpTo = subscription.Start }, cancellationToken).ConfigureAwait(false))
                    {
                        last = missed.Offset;
                        yield return missed;
                    }

                    last = subscription.Start;
                }

                var events = subscription.Channel.Reader;
                while (await events.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    while (events.TryRead(out var stored))
                    {
                        if (stored.Offset <= last)
                        {
                            continue;
                        }

                        last = stored.Offset;
                        if (query.Matches(stored))
                        {
                            yield return stored;
                        }
                    }
                }
            }
            finally
            {
                Leave(subscription);
            }

            if (!subscription.Lagged)
            {
                // The hub ended (the ledger closed or failed, or the server is stopping): so does the stream;
                // a client reconnects with Last-Event-ID and a new hub resumes it exactly.
                yield break;
            }
        }
    }

    private async Task<Subscription> JoinAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task started;
            lock (_gate)
            {
                started = _started ??= StartAsync();
            }

            try
            {
                await started.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                lock (_gate)
                {
                    if (_started == started)
                    {
                        _started = null; // a failed start is not kept: the next stream tries again
                    }
                }

                throw;
            }

            lock (_gate)
            {
                // Joined only to the hub that was awaited: a newer one may not know its position yet.
                if (_started == started)
                {
                    var subscription = new Subscription(_position, buffer);
                    _subscriptions.Add(subscription);
                    return subscription;
                }
            }
        }
    }

    private void Leave(Subscription subscription)
    {
        lock (_gate)
        {
            _subscriptions.Remove(subscription);
        }
    }

    private async Task StartAsync()
    {
        var from = await reader.LatestOffsetAsync(stopping).ConfigureAwait(false);
        lock (_gate)
        {
            _position = from;
        }

        _ = Task.Run(() => PumpAsync(from), CancellationToken.None);
    }

    private async Task PumpAsync(long from)
    {
        try
        {
            await foreach (var stored in reader.FollowAsync(new EventQuery { After = from }, stopping).ConfigureAwait(false))
            {
                lock (_gate)
                {
                    _position = stored.Offset;
                    for (var i = _subscriptions.Count - 1; i >= 0; i--)
                    {
                        var subscription = _subscriptions[i];
                        if (!subscription.Channel.Writer.TryWrite(stored))
                        {
                            subscription.Lagged = true;
                            subscription.Channel.Writer.TryComplete();
                            _subscriptions.RemoveAt(i);
                        }
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or LedgerException or ObjectDisposedException)
        {
            // Stopping, a closed ledger or a store error: every stream ends below, the next one starts a new hub.
        }
        finally
        {
            lock (_gate)
            {
                _started = null;
                foreach (var subscription in _subscriptions)
                {
                    subscription.Channel.Writer.TryComplete();
                }

                _subscriptions.Clear();
            }
        }
    }

    private sealed class Subscription(long start, int buffer)
    {
        public long Start { get; } = start;

        public Channel<StoredEvent> Channel { get; } = System.Threading.Channels.Channel.CreateBounded<StoredEvent>(
            new BoundedChannelOptions(buffer) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

        public bool Lagged { get; set; }
    }
}
