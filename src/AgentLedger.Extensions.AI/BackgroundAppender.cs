using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace AgentLedger.Extensions.AI;

/// <summary>
/// Write-behind for <see cref="LedgerChatClientOptions.WriteBehind"/>: events are queued and appended in
/// batches by one background task per ledger writer, so a model call does not wait for a commit. Shared by
/// every client and run on the same writer, so <see cref="LedgerRun.FinishAsync"/> can wait for what the
/// clients queued before it appends <c>run.finished</c>.
/// </summary>
internal sealed class BackgroundAppender
{
    private const int MaxBatch = 512;
    private static readonly ConditionalWeakTable<ILedgerWriter, BackgroundAppender> s_appenders = [];

    private readonly ILedgerWriter _writer;
    private readonly Channel<LedgerEvent> _queue = Channel.CreateUnbounded<LedgerEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _gate = new();
    private TaskCompletionSource _batchDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _pump;
    private Exception? _failure;
    private long _queued;
    private long _done;

    private BackgroundAppender(ILedgerWriter writer) => _writer = writer;

    public static BackgroundAppender For(ILedgerWriter writer) => s_appenders.GetValue(writer, static w => new BackgroundAppender(w));

    public static BackgroundAppender? Existing(ILedgerWriter writer) => s_appenders.TryGetValue(writer, out var appender) ? appender : null;

    /// <summary>Queues an event; throws if an earlier background append failed (the caller learns it was not recorded).</summary>
    public void Enqueue(LedgerEvent ledgerEvent)
    {
        ThrowIfFailed();
        Interlocked.Increment(ref _queued);
        _queue.Writer.TryWrite(ledgerEvent);
        if (_pump is null)
        {
            lock (_gate)
            {
                _pump ??= Task.Run(PumpAsync);
            }
        }
    }

    /// <summary>Waits until every event queued so far is written; throws if one of them could not be.</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        var target = Interlocked.Read(ref _queued);
        while (true)
        {
            // Read the signal before the counter: a batch finishing in between has already set it.
            var batchDone = Volatile.Read(ref _batchDone).Task;
            if (Interlocked.Read(ref _done) >= target)
            {
                break;
            }

            await batchDone.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        ThrowIfFailed();
    }

    private async Task PumpAsync()
    {
        var batch = new List<LedgerEvent>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            try
            {
                await _writer.AppendBatchAsync(batch, CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The pump must survive a failed batch; the failure is rethrown to the next caller.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Interlocked.CompareExchange(ref _failure, ex, null);
            }

            Interlocked.Add(ref _done, batch.Count);
            batch.Clear();
            Interlocked.Exchange(ref _batchDone, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }

    private void ThrowIfFailed()
    {
        if (Volatile.Read(ref _failure) is { } failure)
        {
            throw new InvalidOperationException($"a write-behind append to {_writer.Description} failed, so some model calls were not recorded: {failure.Message}", failure);
        }
    }
}
