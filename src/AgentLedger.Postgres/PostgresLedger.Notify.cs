using Npgsql;

namespace AgentLedger.Postgres;

public sealed partial class PostgresLedger
{
    private int _notifyPending;
    private int _notifyRunning;

    /// <summary>After a commit that stored events: wake this process's followers now, other processes' by NOTIFY.</summary>
    private void Committed()
    {
        _notifier.Notify();
        if (!_options.Notifications)
        {
            return;
        }

        Volatile.Write(ref _notifyPending, 1);
        if (Interlocked.CompareExchange(ref _notifyRunning, 1, 0) == 0)
        {
            _ = Task.Run(NotifyLoopAsync);
        }
    }

    /// <summary>
    /// NOTIFY outside the appends' transactions, at most one in flight per ledger object: commits that land
    /// meanwhile share the next one. In an append's own transaction NOTIFY takes a database-wide lock at
    /// commit (so that notifications queue in commit order), which serialises every writer's commit wait.
    /// Sent after the commit is visible, so a woken follower finds the events; lost (a crash right after the
    /// commit), followers still find them by their poll.
    /// </summary>
    private async Task NotifyLoopAsync()
    {
        var lastSent = 0L;
        while (true)
        {
            if (Interlocked.Exchange(ref _notifyPending, 0) == 0)
            {
                Volatile.Write(ref _notifyRunning, 0);

                // A commit that asked between the two lines above must not wait for the next one.
                if (Volatile.Read(ref _notifyPending) == 0 || Interlocked.CompareExchange(ref _notifyRunning, 1, 0) != 0)
                {
                    return;
                }

                continue;
            }

            // At most one NOTIFY a millisecond: a tight loop of appends does not double the server's work.
            var sinceLast = System.Diagnostics.Stopwatch.GetElapsedTime(lastSent);
            if (lastSent != 0 && sinceLast < TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(1) - sinceLast).ConfigureAwait(false);
            }

            lastSent = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                await using var notify = _dataSource.CreateCommand(PostgresSql.Notify);
                notify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Channel });
                await notify.ExecuteNonQueryAsync(_closing.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or ObjectDisposedException or IOException)
            {
                // Followers elsewhere poll as well: a NOTIFY that could not be sent only makes them slower.
            }
        }
    }
}
