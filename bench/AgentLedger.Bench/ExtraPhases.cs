using System.Diagnostics;

namespace AgentLedger.Bench;

/// <summary>Beyond P1–P9: what PostgreSQL's ordering guard costs, and how soon a follower sees a commit.</summary>
internal sealed class ExtraPhases(BenchTarget target, Settings settings, Action<Measurement> report)
{
    private const int Writers = 8;

    /// <summary>G: 8 concurrent writer connections, single appends, with the ordering guard on and off.</summary>
    public async Task GuardCostAsync(PostgresTarget postgres)
    {
        var perWriter = settings.ConcurrentAppends / 2;
        foreach (var guarded in new[] { true, false, true, false })
        {
            var url = postgres.NewStore(guarded ? "guard_on" : "guard_off");
            if (!guarded)
            {
                url = PostgresTarget.PostgresUrlWith(url, "ordered_commits=false");
            }

            await using var ledger = await Ledger.OpenAsync(url);
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
            report(new Measurement("agentledger", target.Backend, guarded ? "G-on" : "G-off", Writers * perWriter, elapsed.TotalSeconds,
                Measurement.Rate(Writers * perWriter, elapsed), Note: $"{Writers} writer connections, single appends, ordering guard {(guarded ? "on" : "off")}"));
        }
    }

    /// <summary>L: from an append's return to a follower (another ledger object, as another process would be) yielding it.</summary>
    public async Task FollowLatencyAsync()
    {
        var url = target.NewStore("latency");
        await using var writer = await Ledger.OpenAsync(url);
        await using var reader = target.Shared ? await Ledger.OpenAsync(url) : writer;
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
