using System.Runtime.CompilerServices;

namespace AgentLedger;

/// <summary>
/// A host's ledger: resolved at once, opened on first use (DI factories cannot await), closed by its
/// <see cref="LedgerPool"/> when the host stops. A failed open is not remembered: the next call tries again.
/// </summary>
internal sealed class HostedLedger(ILedgerProvider provider, string url, LedgerOpenOptions options) : ILedger, IDisposable
{
    private readonly SemaphoreSlim _opening = new(1, 1);
    private ILedger? _inner;
    private bool _closed;

    public LedgerDescription Description => _inner?.Description ?? new LedgerDescription(provider.Name, provider.Describe(url), 0, 0);

    public async ValueTask<AppendResult> AppendAsync(LedgerEvent ledgerEvent, CancellationToken cancellationToken = default)
        => await (await InnerAsync(cancellationToken).ConfigureAwait(false)).AppendAsync(ledgerEvent, cancellationToken).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<AppendResult>> AppendBatchAsync(IEnumerable<LedgerEvent> events, CancellationToken cancellationToken = default)
        => await (await InnerAsync(cancellationToken).ConfigureAwait(false)).AppendBatchAsync(events, cancellationToken).ConfigureAwait(false);

    public async IAsyncEnumerable<StoredEvent> ReadAsync(EventQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var inner = await InnerAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var e in inner.ReadAsync(query, cancellationToken).ConfigureAwait(false))
        {
            yield return e;
        }
    }

    public async IAsyncEnumerable<StoredEvent> ReadBackwardAsync(EventQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var inner = await InnerAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var e in inner.ReadBackwardAsync(query, cancellationToken).ConfigureAwait(false))
        {
            yield return e;
        }
    }

    public async IAsyncEnumerable<string> ListRunsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var inner = await InnerAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var run in inner.ListRunsAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return run;
        }
    }

    public async IAsyncEnumerable<RunEntry> ListRunsAsync(RunListQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var inner = await InnerAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var run in inner.ListRunsAsync(query, cancellationToken).ConfigureAwait(false))
        {
            yield return run;
        }
    }

    public async ValueTask<long> LatestOffsetAsync(CancellationToken cancellationToken = default)
        => await (await InnerAsync(cancellationToken).ConfigureAwait(false)).LatestOffsetAsync(cancellationToken).ConfigureAwait(false);

    public async ValueTask<long> CountAsync(CancellationToken cancellationToken = default)
        => await (await InnerAsync(cancellationToken).ConfigureAwait(false)).CountAsync(cancellationToken).ConfigureAwait(false);

    public async IAsyncEnumerable<StoredEvent> FollowAsync(EventQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var inner = await InnerAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var e in inner.FollowAsync(query, cancellationToken).ConfigureAwait(false))
        {
            yield return e;
        }
    }

    public async ValueTask<ImportResult> ImportAsync(IAsyncEnumerable<LedgerEvent> events, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
        => await (await InnerAsync(cancellationToken).ConfigureAwait(false)).ImportAsync(events, progress, cancellationToken).ConfigureAwait(false);

    public async ValueTask<long> RestoreAsync(IAsyncEnumerable<StoredEvent> events, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
        => await (await InnerAsync(cancellationToken).ConfigureAwait(false)).RestoreAsync(events, progress, cancellationToken).ConfigureAwait(false);

    public async ValueTask ResetAsync(CancellationToken cancellationToken = default)
        => await (await InnerAsync(cancellationToken).ConfigureAwait(false)).ResetAsync(cancellationToken).ConfigureAwait(false);

    // The pool owns the ledger: a component that disposes the ledger it was given must not close it for everyone.
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    // Also for containers disposed synchronously (a plain `using` of a ServiceProvider).
    public void Dispose()
    {
    }

    internal async ValueTask CloseAsync()
    {
        await _opening.WaitAsync().ConfigureAwait(false);
        try
        {
            _closed = true;
            if (_inner is not null)
            {
                await _inner.DisposeAsync().ConfigureAwait(false);
                _inner = null;
            }
        }
        finally
        {
            _opening.Release();
        }
    }

    private async ValueTask<ILedger> InnerAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _inner) is { } ready)
        {
            return ready;
        }

        await _opening.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            return _inner ??= await provider.OpenAsync(url, options, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _opening.Release();
        }
    }
}
