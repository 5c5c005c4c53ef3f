using System.Diagnostics;

namespace AgentLedger.Bench;

/// <summary>Beyond P1–P9: concurrent writers on PostgreSQL (G, H), follow latency (L), idle followers (I).</summary>
internal sealed class ExtraPhases(BenchTarget target, Settings settings, Action<Measurement> report)
{
    private const int Writers = 8;

    /// <summary>
    /// G: 8 concurrent writer connections, single appends, with appends serialised (<c>ordered_commits=true</c>,
    /// the exclusive lock held to commit) and concurrent (the default: the lock shared).
    /// </summary>
    public async Task GuardCostAsync(PostgresTarget postgres)
    {
        var perWriter = settings.ConcurrentAppends / 2;
        var trial = 0;
        foreach (var ordered in new[] { true, false, true, false })
        {
            // A fresh schema (and so fresh ids) every trial: a second trial in the same store would measure duplicates.
            var url = postgres.NewStore($"{(ordered ? "ordered" : "concurrent")}_{trial++}");
            if (ordered)
            {
                url = PostgresTarget.PostgresUrlWith(url, "ordered_commits=true");
            }

            await using var ledger = await BenchLedgers.OpenAsync(url);
            await ledger.AppendAsync(Workload.Event(0, 1, "warm-up"));
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
            {
                for (var i = 0; i < perWriter; i++)
                {
                    await ledger.AppendAsync(Workload.Event(i, 100, $"g{w}"));
                }
            })));
            var elapsed = clock.Elapsed;
            report(new Measurement("agentledger", target.Backend, ordered ? "G-on" : "G-off", Writers * perWriter, elapsed.TotalSeconds,
                Measurement.Rate(Writers * perWriter, elapsed), Note: $"{Writers} writer connections, single appends, {(ordered ? "ordered_commits=true (serialised)" : "concurrent commits (default)")}"));
        }
    }

    /// <summary>
    /// H: 1, 8 and 32 writer connections of single appends for a fixed time through one ledger object, each
    /// right before the same number of plain prepared INSERT connections on the same server (run it against
    /// scripts/pg-hosted-sim.sh, where every commit waits for a synchronous standby, to see the fleet effect).
    /// </summary>
    public async Task ConcurrentWritersAsync(PostgresTarget postgres, RawPostgres raw, TimeSpan duration)
    {
        foreach (var connections in new[] { 1, 8, 32 })
        {
            var url = postgres.NewStore($"h{connections}");
            await using (var ledger = await BenchLedgers.OpenAsync(url))
            {
                await ledger.AppendAsync(Workload.Event(0, 1, "warm-up"));
                var counts = new int[connections];
                var clock = Stopwatch.StartNew();
                var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
                await Task.WhenAll(Enumerable.Range(0, connections).Select(w => Task.Run(async () =>
                {
                    for (var i = 0; Stopwatch.GetTimestamp() < deadline; i++)
                    {
                        counts[w] += (await ledger.AppendAsync(Workload.Event(i, 100, $"h{w}"))).IsAppended ? 1 : 0;
                    }
                })));
                var total = counts.Sum();
                var stored = await ledger.CountAsync();
                if (stored != total + 1)
                {
                    throw new BenchCheckException($"H{connections}: {total} appended but {stored - 1} stored");
                }

                report(new Measurement("agentledger", target.Backend, $"H{connections}", total, clock.Elapsed.TotalSeconds, Measurement.Rate(total, clock.Elapsed),
                    Note: $"{connections} writer connections, single appends, one ledger object"));
            }

            await raw.ConcurrentInsertsAsync(connections, duration);
        }
    }

    /// <summary>
    /// I: CPU of many idle followers on one ledger object (one change notifier wakes them all; none polls),
    /// then one append that every follower must receive.
    /// </summary>
    public async Task IdleFollowersAsync(int followers, TimeSpan idle)
    {
        var url = target.NewStore("idle");
        await using var ledger = await BenchLedgers.OpenAsync(url);
        await using var writer = target.Shared ? await BenchLedgers.OpenAsync(url) : ledger;
        await writer.AppendAsync(Workload.Event(0, 1, "idle"));
        using var stop = new CancellationTokenSource();
        var received = 0;
        var started = 0;
        var tasks = Enumerable.Range(0, followers).Select(_ => Task.Run(async () =>
        {
            Interlocked.Increment(ref started);
            await foreach (var e in ledger.FollowAsync(new EventQuery { After = 1 }, stop.Token))
            {
                Interlocked.Increment(ref received);
                return;
            }
        })).ToArray();
        while (Volatile.Read(ref started) < followers)
        {
            await Task.Delay(10);
        }

        await Task.Delay(TimeSpan.FromSeconds(1)); // settle: every follower has caught up and waits
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await Task.Delay(idle);
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        var wall = clock.Elapsed;

        var wake = Stopwatch.StartNew();
        await writer.AppendAsync(Workload.Event(1, 1, "idle"));
        var all = Task.WhenAll(tasks);
        if (await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(30))) != all)
        {
            await stop.CancelAsync();
            throw new BenchCheckException($"idle followers: only {Volatile.Read(ref received)} of {followers} saw the new event within 30 s");
        }

        report(new Measurement("agentledger", target.Backend, "I", followers, wall.TotalSeconds,
            MedianUs: wake.Elapsed.TotalMilliseconds * 1000,
            Note: string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{followers} idle followers for {wall.TotalSeconds:0} s: {cpu.TotalMilliseconds:0} ms CPU ({100 * cpu.TotalMilliseconds / wall.TotalMilliseconds:0.0}% of one core); all woke {wake.Elapsed.TotalMilliseconds:0} ms after one append")));
    }

    /// <summary>L: from an append's return to a follower (another ledger object, as another process would be) yielding it.</summary>
    public async Task FollowLatencyAsync()
    {
        var url = target.NewStore("latency");
        await using var writer = await BenchLedgers.OpenAsync(url);
        await using var reader = target.Shared ? await BenchLedgers.OpenAsync(url) : writer;
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var arrivals = new Dictionary<string, long>();
        var gate = new object();
        var follower = Task.Run(async () =>
        {
            await foreach (var e in reader.FollowAsync(EventQuery.All, stop.Token))
            {
                lock (gate)
                {
                    arrivals[e.Event.Id] = Stopwatch.GetTimestamp();
                }

                if (e.Event.Id == "latency-done")
                {
                    return;
                }
            }
        });
        await Task.Delay(300);
        var latencies = new List<double>();
        for (var i = 0; i < 100; i++)
        {
            var e = Workload.Event(i, 100, "latency");
            var sent = Stopwatch.GetTimestamp();
            await writer.AppendAsync(e);
            while (true)
            {
                lock (gate)
                {
                    if (arrivals.TryGetValue(e.Id, out var at))
                    {
                        latencies.Add(Stopwatch.GetElapsedTime(sent, at).TotalMicroseconds);
                        break;
                    }
                }

                await Task.Delay(1);
            }
        }

        await writer.AppendAsync(new LedgerEvent("latency", 0, "bench.done", "bench", "{}", id: "latency-done"));
        await follower;
        report(new Measurement("agentledger", target.Backend, "L", latencies.Count, MedianUs: Measurement.Median(latencies),
            Note: $"append → follower, p90 {Percentile(latencies, 0.9) / 1000:0.0} ms"));
    }

    private static double Percentile(List<double> values, double p)
    {
        values.Sort();
        return values[(int)Math.Min(values.Count - 1, Math.Round(p * (values.Count - 1)))];
    }
}
