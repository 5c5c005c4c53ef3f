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

    /// <summary>
    /// The ledger object's one horizon, shared by all of its followers (it is a property of the log, not of a
    /// reader): a thousand followers woken together cost one horizon statement, and at a gap one background
    /// task polls the lock's holders for all of them. Nobody waits while holding the gate, so a follower that
    /// is behind reads on while others wait at the gap.
    /// </summary>
    private sealed class SettledHorizon(PostgresLedger ledger) : IDisposable
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private long _settled;
        private long _pendingTop;
        private string[]? _pendingHolders;
        private Task<bool>? _holdersEnded;
        private long _tickets;
        private long _coveredTicket;

        public void Dispose() => _gate.Dispose();

        /// <summary>The horizon for a follower that has passed on everything up to <paramref name="after"/>.</summary>
        public async ValueTask<long> NextAsync(long after, CancellationToken cancellationToken)
        {
            if (ledger._options.NaiveFollow)
            {
                return await ledger.LatestOffsetAsync(cancellationToken).ConfigureAwait(false);
            }

            while (true)
            {
                var (settled, waitFor) = await ComputeAsync(cancellationToken).ConfigureAwait(false);
                if (settled > after || waitFor is null)
                {
                    return settled;
                }

                // A gap right at this follower's position: returning would leave it waiting for a wake-up that a
                // rollback (or a commit below the top, which changes no latest offset) never sends. Wait for the
                // holders to end instead, then look again.
                await waitFor.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        private async Task<(long Settled, Task<bool>? WaitFor)> ComputeAsync(CancellationToken cancellationToken)
        {
            // A caller needs a scan that began after it asked (it may have been woken by a commit the one in
            // flight cannot see): a ticket taken before the gate says which scans count.
            var ticket = Interlocked.Increment(ref _tickets);
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_pendingHolders is { } holders)
                {
                    _holdersEnded ??= Task.Run(() => WaitForAsync(holders, ledger._closing.Token), CancellationToken.None);
                    if (!_holdersEnded.IsCompleted)
                    {
                        return (_settled, _holdersEnded);
                    }

                    // Ended (true): everything up to the top is settled. A failed poll (false) settles nothing: poll again.
                    if (await _holdersEnded.ConfigureAwait(false))
                    {
                        _settled = Math.Max(_settled, _pendingTop);
                        _pendingHolders = null;
                    }

                    _holdersEnded = null;
                    if (_pendingHolders is not null)
                    {
                        return (_settled, null);
                    }
                }
                else if (_coveredTicket >= ticket)
                {
                    return (_settled, null);
                }

                var covers = Volatile.Read(ref _tickets);
                await ledger.WithRetryAsync((_, ct) => ScanAsync(ct), cancellationToken).ConfigureAwait(false);
                _coveredTicket = covers;
                if (_pendingHolders is { } found)
                {
                    _holdersEnded = Task.Run(() => WaitForAsync(found, ledger._closing.Token), CancellationToken.None);
                    return (_settled, _holdersEnded);
                }

                return (_settled, null);
            }
            finally
            {
                _gate.Release();
            }
        }

        /// <summary>
        /// True once every one of <paramref name="holders"/> has ended: a commit's NOTIFY wakes the poll at once,
        /// otherwise it looks again soon. False when the poll failed (the server away, the ledger closing).
        /// No connection is held in between: waiting at a gap never drains the pool.
        /// </summary>
        private async Task<bool> WaitForAsync(string[] holders, CancellationToken cancellationToken)
        {
            try
            {
                var pause = TimeSpan.FromMilliseconds(2);
                while (await ledger.AnyHolderAliveAsync(holders, cancellationToken).ConfigureAwait(false))
                {
                    var wakeUp = ledger._notifier.Next;
                    await Task.WhenAny(wakeUp, Task.Delay(pause, cancellationToken)).ConfigureAwait(false);
                    if (cancellationToken.IsCancellationRequested || ledger._notifier.IsClosed)
                    {
                        return false;
                    }

                    pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, ledger._options.FollowPollInterval.Ticks));
                }

                return true;
            }
            catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or ObjectDisposedException or IOException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), CancellationToken.None).ConfigureAwait(false);
                return false;
            }
        }

        /// <summary>
        /// Moves the horizon over contiguous offsets; past a gap, or past the rows one statement looks at (a long
        /// backlog, treated alike), notes who may still commit below the top.
        /// </summary>
        private async Task<long> ScanAsync(CancellationToken cancellationToken)
        {
            var (contiguous, top, lockHolders) = await ledger.ScanHorizonAsync(_settled, cancellationToken).ConfigureAwait(false);
            _settled = Math.Max(_settled, contiguous);
            if (top > _settled)
            {
                if (lockHolders.Length == 0)
                {
                    _settled = top; // nobody can still commit below top: the gaps are permanent
                }
                else
                {
                    (_pendingTop, _pendingHolders) = (top, lockHolders);
                }
            }

            return _settled;
        }
    }

    /// <summary>One follower's view of the shared horizon: it has passed on everything up to the last value it got.</summary>
    private sealed class FollowerHorizon(SettledHorizon shared, long after)
    {
        public async ValueTask<long> NextAsync(CancellationToken cancellationToken)
        {
            var horizon = await shared.NextAsync(after, cancellationToken).ConfigureAwait(false);
            after = Math.Max(after, horizon);
            return horizon;
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
