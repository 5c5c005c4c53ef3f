using Npgsql;

namespace AgentLedger.Postgres;

/// <summary>
/// How a follower stays exact while writers commit concurrently.
/// </summary>
/// <remarks>
/// <para>
/// Writers commit in any order, so offset 6 can become visible before offset 5. A follower therefore
/// never reads past its <em>settled horizon</em>: the highest offset h such that every offset ≤ h that
/// will ever exist is visible to its next statement. It reads events with <c>offset ≤ h</c> only.
/// </para>
/// <para>
/// The protocol. Every AgentLedger write takes <see cref="PostgresSql.AppendLock"/> (shared, so writers
/// do not wait for each other) in a statement <em>before</em> the one that draws its offsets, and holds it
/// until its transaction ends; the lock is released after the commit is visible. The offset sequence
/// has <c>CACHE 1</c> (layout step 2), so offsets are drawn in one global order: if g &lt; m then g was
/// drawn before m.
/// </para>
/// <para>
/// Why no interleaving makes a follower miss an event. One statement (<see cref="PostgresSql.Horizon"/>)
/// takes its snapshot at t0 and sees offsets up to <c>top</c>, contiguous up to <c>c</c>. Offsets up to c
/// are settled (each integer is present). Take any g with c &lt; g &lt; top that is not visible: it was
/// drawn before top was, and top's transaction committed before t0, so g was drawn before t0, by a
/// transaction W that took the lock before drawing it, hence before t0. The same statement then lists the
/// lock's holders at t1 ≥ t0: W is among them, or W ended between (or before) — at t0 it was not visible,
/// so it rolled back or commits after t0. Either way, once every listed holder has ended
/// (<see cref="PostgresSql.HoldersAlive"/> at tA), W has ended, and every statement after tA sees g if
/// it was committed: everything up to top is settled. A holder list that is empty settles top at once.
/// </para>
/// <para>
/// Traps closed: an offset drawn before its transaction holds the lock (the lock is taken in an earlier
/// statement, never together with the draw); a sequence with <c>CACHE &gt; 1</c> (each session would draw
/// from its own block, so g &lt; m would not mean earlier — step 2 sets CACHE 1); a wait on unrelated
/// transactions (only holders of this ledger's key are listed, so a long unrelated transaction never stalls
/// a follower; a long AgentLedger write, e.g. an import, does, rightly: its offsets may be below).
/// Not covered: writers that skip the lock (the reference's own appends), which may commit out of order
/// unseen — for those, and for foreign readers that follow with a naive <c>offset &gt; n</c>, use
/// <c>ordered_commits=true</c>, where every append holds the lock exclusively.
/// </para>
/// </remarks>
public sealed partial class PostgresLedger
{
    /// <summary>Offsets looked at per horizon statement; a longer run without a gap takes another one.</summary>
    private const int HorizonRows = 10_000;

    /// <summary>The advisory lock key of this ledger's appends (tests stage interleavings with it).</summary>
    internal long AppendLockKey => _appendLockKey;

    private long AppendLockHigh => (long)(uint)(_appendLockKey >>> 32);

    private long AppendLockLow => (long)(uint)_appendLockKey;

    /// <summary>One follower's horizon: its state lives as long as the follower.</summary>
    private sealed class SettledHorizon(PostgresLedger ledger, long start)
    {
        private long _settled = start;
        private long _pendingTop;
        private string[]? _pendingHolders;

        public async ValueTask<long> NextAsync(CancellationToken cancellationToken)
        {
            if (ledger._options.NaiveFollow)
            {
                return await ledger.LatestOffsetAsync(cancellationToken).ConfigureAwait(false);
            }

            return await ledger.WithRetryAsync((_, ct) => StepAsync(ct), cancellationToken).ConfigureAwait(false);
        }

        private async Task<long> StepAsync(CancellationToken cancellationToken)
        {
            var entered = _settled;
            while (true)
            {
                // No connection is held while waiting: a thousand followers at a gap must not drain the pool.
                if (_pendingHolders is { } holders)
                {
                    await WaitForAsync(holders, cancellationToken).ConfigureAwait(false);
                    _settled = Math.Max(_settled, _pendingTop);
                    _pendingHolders = null;
                }

                await ScanAsync(cancellationToken).ConfigureAwait(false);

                // A gap right at the follower's position: returning would leave it waiting for a wake-up that a
                // rollback (or a commit below the top, which changes no latest offset) never sends. Wait here.
                if (_settled > entered || _pendingHolders is null)
                {
                    return _settled;
                }
            }
        }

        /// <summary>Until every one of <paramref name="holders"/> has ended: a commit's NOTIFY wakes us at once; otherwise look again soon.</summary>
        private async Task WaitForAsync(string[] holders, CancellationToken cancellationToken)
        {
            var pause = TimeSpan.FromMilliseconds(2);
            while (holders.Length > 0 && await ledger.AnyHolderAliveAsync(holders, cancellationToken).ConfigureAwait(false))
            {
                var wakeUp = ledger._notifier.Next;
                await Task.WhenAny(wakeUp, Task.Delay(pause, cancellationToken)).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                ObjectDisposedException.ThrowIf(ledger._notifier.IsClosed, ledger);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, ledger._options.FollowPollInterval.Ticks));
            }
        }

        /// <summary>Moves the horizon over contiguous offsets; at a gap, notes who may still fill it.</summary>
        private async Task ScanAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var (contiguous, top, lockHolders) = await ledger.ScanHorizonAsync(_settled, cancellationToken).ConfigureAwait(false);
                var full = contiguous - _settled >= HorizonRows;
                _settled = contiguous;
                if (top > contiguous)
                {
                    if (lockHolders.Length == 0)
                    {
                        _settled = top; // nobody can still commit below top: the gaps are permanent
                    }
                    else
                    {
                        (_pendingTop, _pendingHolders) = (top, lockHolders);
                    }

                    return;
                }

                if (!full)
                {
                    return;
                }
            }
        }
    }

    private async Task<(long Contiguous, long Top, string[] Holders)> ScanHorizonAsync(long settled, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(PostgresSql.Horizon);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = settled });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = AppendLockHigh });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = AppendLockLow });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = HorizonRows });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetFieldValue<string[]>(2));
    }

    private async Task<bool> AnyHolderAliveAsync(string[] holders, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(PostgresSql.HoldersAlive);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = holders });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = AppendLockHigh });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = AppendLockLow });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }
}
