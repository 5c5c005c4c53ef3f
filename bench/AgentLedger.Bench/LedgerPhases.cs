using System.Diagnostics;

namespace AgentLedger.Bench;

/// <summary>P1–P9 through AgentLedger's public API.</summary>
internal sealed class LedgerPhases(BenchTarget target, Workload workload, Settings settings, Action<Measurement> report, IRawLimits? raw)
{
    private const string System = "agentledger";

    private bool _readsWarmed;

    private string Backend => target.Backend;

    /// <summary>What shows how the ledger grows with the log: load, then P3, P5, P6 and P7 (compare N = 100,000 with 10,000,000).</summary>
    public async Task RunScalingAsync()
    {
        var url = target.NewStore("scaling");
        await using var ledger = await BenchLedgers.OpenAsync(url);
        await ScalingLoadAsync(ledger);
        if (target.Shared)
        {
            await ReopenAsync(url);
        }

        await ReadRunsAsync(ledger);
        await ListRunsAsync(ledger);
        await TailAsync(ledger);
        if (target is SqliteTarget)
        {
            await CLimit.ReadsAsync(url, workload, report);
        }
    }

    /// <summary>
    /// The load of a scaling run: batches of at most 1,000,000 events (the largest single call measured), each
    /// built just before it is stored with the clock paused, so the harness never holds ten million events at once.
    /// </summary>
    private async Task ScalingLoadAsync(ILedger ledger)
    {
        const int Chunk = 1_000_000;
        var clock = new Stopwatch();
        for (var start = 0; start < workload.Count; start += Chunk)
        {
            var batch = Enumerable.Range(start, Math.Min(Chunk, workload.Count - start)).Select(workload.Event).ToList();
            clock.Start();
            await ledger.AppendBatchAsync(batch);
            clock.Stop();
        }

        Check(await ledger.CountAsync() == workload.Count, "the scaling load stores every event");
        report(new Measurement(System, Backend, "P2", workload.Count, clock.Elapsed.TotalSeconds, Measurement.Rate(workload.Count, clock.Elapsed),
            Note: workload.Count > Chunk ? $"batches of {Chunk:N0}" : "one batch of every event"));
    }

    public async Task RunAsync()
    {
        // P1 alternates with its raw limit, trial by trial: both meet the same disk and JIT state.
        for (var trial = 0; settings.Runs("P1") && trial < settings.AppendTrials; trial++)
        {
            await SingleAppendsAsync(trial);
            await (raw?.SingleAppendsAsync(trial) ?? Task.CompletedTask);
        }

        var url = target.NewStore("main");
        await using var ledger = await BenchLedgers.OpenAsync(url);
        await BulkLoadAsync(ledger);
        await (raw?.BulkLoadAsync() ?? Task.CompletedTask);
        if (target.Shared && settings.Runs("P3"))
        {
            await ReopenAsync(url);
        }

        // Reads are timed warm, like their raw twins: several trials, alternating, the median reported.
        for (var trial = 0; settings.Runs("P4") && trial < settings.Trials; trial++)
        {
            await ReadAllAsync(ledger);
            await (raw?.ReadAllAsync() ?? Task.CompletedTask);
        }

        if (settings.Runs("P5"))
        {
            await ReadRunsAsync(ledger);
        }

        if (settings.Runs("P6"))
        {
            await ListRunsAsync(ledger);
        }

        if (settings.Runs("P7"))
        {
            await TailAsync(ledger);
        }

        if (target.Shared && settings.Runs("P8"))
        {
            await DuplicatesAsync(ledger, url);
        }

        if (target.Shared && settings.Runs("P9"))
        {
            await ConcurrentWritersAsync();
        }
    }

    /// <summary>P1: one durable append per call, each its own commit.</summary>
    private async Task SingleAppendsAsync(int trial)
    {
        await using var ledger = await BenchLedgers.OpenAsync(target.NewStore($"p1_{trial}"));
        var events = Enumerable.Range(0, settings.SingleAppends).Select(i => Workload.Event(i, workload.TurnsPerRun, "p1")).ToList();
        foreach (var e in Enumerable.Range(0, settings.WarmUp).Select(i => Workload.Event(i, 1, "warm-up")))
        {
            await ledger.AppendAsync(e);
        }

        var clock = Stopwatch.StartNew();
        foreach (var e in events)
        {
            await ledger.AppendAsync(e);
        }

        var elapsed = clock.Elapsed;
        Check(await ledger.CountAsync() == events.Count + settings.WarmUp, "P1 stores every event");
        report(new Measurement(System, Backend, "P1", events.Count, elapsed.TotalSeconds, Measurement.Rate(events.Count, elapsed)));
    }

    /// <summary>P2: all N events through the batch API.</summary>
    private async Task BulkLoadAsync(ILedger ledger)
    {
        // Built before the clock starts, as for the raw limit: the phase measures storing, not generating.
        var batches = workload.All().Chunk(settings.BatchSize).ToList();

        // The bulk path warmed (JIT) in a scratch store first, as the raw bulk load is: a cold first call measures the JIT.
        await using (var scratch = await BenchLedgers.OpenAsync(target.NewStore("warm_bulk")))
        {
            await scratch.AppendBatchAsync(Enumerable.Range(0, 1000).Select(i => Workload.Event(i, 100, "warm-bulk")).ToList());
        }

        var clock = Stopwatch.StartNew();
        foreach (var batch in batches)
        {
            await ledger.AppendBatchAsync(batch);
        }

        var elapsed = clock.Elapsed;
        Check(await ledger.CountAsync() == workload.Count, "P2 stores every event");
        report(new Measurement(System, Backend, "P2", workload.Count, elapsed.TotalSeconds, Measurement.Rate(workload.Count, elapsed), Note: settings.BatchSize >= workload.Count ? "one batch of every event" : $"batches of {settings.BatchSize}"));
    }

    /// <summary>P3: a new process opens the store and reads its first event.</summary>
    private async Task ReopenAsync(string url)
    {
        var result = await Child.RunAsync("open", url);
        report(new Measurement(System, Backend, "P3", workload.Count, result.GetProperty("seconds").GetDouble(), RssMb: result.GetProperty("rss_mb").GetDouble(),
            Note: "new process: open + first event"));
    }

    /// <summary>P4: every event in offset order.</summary>
    private async Task ReadAllAsync(ILedger ledger)
    {
        long count = 0, previous = 0;
        var ordered = true;
        var clock = Stopwatch.StartNew();
        await foreach (var e in ledger.ReadAsync(EventQuery.All))
        {
            ordered &= e.Offset > previous;
            previous = e.Offset;
            count++;
        }

        var elapsed = clock.Elapsed;
        Check(count == workload.Count && ordered, "P4 reads every event in order");
        report(new Measurement(System, Backend, "P4", count, elapsed.TotalSeconds, Measurement.Rate(count, elapsed)));
    }

    /// <summary>P5: random runs' events (seeded RNG 42).</summary>
    private async Task ReadRunsAsync(ILedger ledger)
    {
        await WarmReadsAsync(ledger);

        var random = new Random(42);
        var timings = new List<double>();
        for (var i = 0; i < settings.RunLookups; i++)
        {
            var run = $"run-{random.Next(workload.Runs):D4}";
            var clock = Stopwatch.StartNew();
            var count = 0;
            await foreach (var _ in ledger.ReadRunAsync(run))
            {
                count++;
            }

            timings.Add(clock.Elapsed.TotalMicroseconds);
            Check(count == workload.TurnsPerRun, "P5 returns the run's events");
        }

        report(new Measurement(System, Backend, "P5", settings.RunLookups, MedianUs: Measurement.Median(timings), Note: $"{workload.TurnsPerRun} events per run"));
    }

    /// <summary>P6: distinct run ids in first-seen order, median of 10.</summary>
    private async Task ListRunsAsync(ILedger ledger)
    {
        var timings = new List<double>();
        for (var i = 0; i < 10; i++)
        {
            var clock = Stopwatch.StartNew();
            var runs = 0;
            await foreach (var _ in ledger.ListRunsAsync())
            {
                runs++;
            }

            timings.Add(clock.Elapsed.TotalMicroseconds);
            Check(runs == workload.Runs, "P6 lists every run");
        }

        report(new Measurement(System, Backend, "P6", workload.Runs, MedianUs: Measurement.Median(timings), Note: $"{workload.Runs} runs of {workload.Count} events"));

        // P6p: one page of 100 runs, the newest (what a runs list shows first) and one from the middle.
        var pages = new List<double>();
        var middle = (long)workload.Count / 2;
        for (var i = 0; i < 20; i++)
        {
            var query = i % 2 == 0 ? new RunListQuery { NewestFirst = true, Limit = 100 } : new RunListQuery { After = middle, Limit = 100 };
            var clock = Stopwatch.StartNew();
            var count = 0;
            await foreach (var _ in ledger.ListRunsAsync(query))
            {
                count++;
            }

            pages.Add(clock.Elapsed.TotalMicroseconds);
            Check(i % 2 == 0 ? count == Math.Min(100, workload.Runs) : count is > 0 and <= 100, "P6p pages up to 100 runs");
        }

        report(new Measurement(System, Backend, "P6p", 100, MedianUs: Measurement.Median(pages), Note: $"a page of 100 of {workload.Runs} runs (newest, and from the middle)"));
    }

    /// <summary>
    /// Before P5 and P7: two seconds of the same reads (other runs than P5's), then a pause for the runtime's
    /// background compiler. The first calls run unoptimised, then instrumented JIT code, promoted to optimised code
    /// only after enough calls and a quiet moment (measured: P5 after half a second of this was still 45 % slower
    /// than a second pass); in the full run P4's trials have done this already, in a scaling run nothing has, and
    /// P5/P7 would then compare JIT states instead of log sizes.
    /// </summary>
    private async Task WarmReadsAsync(ILedger ledger)
    {
        if (_readsWarmed)
        {
            return; // P7 after P5: the same read path, already optimised
        }

        _readsWarmed = true;
        var random = new Random(7);
        var clock = Stopwatch.StartNew();
        var latest = await ledger.LatestOffsetAsync();
        while (clock.Elapsed < TimeSpan.FromSeconds(2))
        {
            await foreach (var _ in ledger.ReadRunAsync($"run-{random.Next(workload.Runs):D4}"))
            {
            }

            await foreach (var _ in ledger.ReadAsync(new EventQuery { After = Math.Max(0, latest - 1000) }))
            {
            }
        }

        await Task.Delay(TimeSpan.FromMilliseconds(500));
    }

    /// <summary>P7: the last 1,000 events, 100 times.</summary>
    private async Task TailAsync(ILedger ledger)
    {
        await WarmReadsAsync(ledger);
        var latest = await ledger.LatestOffsetAsync();
        var expected = (int)Math.Min(1000, latest);
        var timings = new List<double>();
        for (var i = -10; i < 100; i++)
        {
            var clock = Stopwatch.StartNew();
            var count = 0;
            await foreach (var _ in ledger.ReadAsync(new EventQuery { After = latest - expected }))
            {
                count++;
            }

            if (i >= 0)
            {
                timings.Add(clock.Elapsed.TotalMicroseconds); // the first ten are warm-up
            }

            Check(count == expected, "P7 returns the last events");
        }

        report(new Measurement(System, Backend, "P7", expected, MedianUs: Measurement.Median(timings)));
    }

    /// <summary>P8: a process that did not write them re-appends stored events: a no-op.</summary>
    private async Task DuplicatesAsync(ILedger ledger, string url)
    {
        var count = Math.Min(settings.SingleAppends, workload.Count);
        var result = await Child.RunAsync("duplicate", url, count.ToString(global::System.Globalization.CultureInfo.InvariantCulture), workload.TurnsPerRun.ToString(global::System.Globalization.CultureInfo.InvariantCulture));
        var seconds = result.GetProperty("seconds").GetDouble();
        Check(result.GetProperty("duplicates").GetInt32() == count, "P8 reports every re-append as a duplicate");
        Check(await ledger.CountAsync() == workload.Count, "P8 leaves the count unchanged");
        report(new Measurement(System, Backend, "P8", count, seconds, count / seconds, Note: $"count after: {await ledger.CountAsync()} (unchanged)"));
    }

    /// <summary>P9: 4 writer processes × single appends while a follower tails by offset.</summary>
    private async Task ConcurrentWritersAsync()
    {
        var url = target.NewStore("p9");
        await using var ledger = await BenchLedgers.OpenAsync(url);
        var perWriter = settings.ConcurrentAppends;
        var seen = new HashSet<string>();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var follower = Task.Run(async () =>
        {
            await foreach (var e in ledger.FollowAsync(EventQuery.All, stop.Token))
            {
                if (e.Event.Id == "p9-sentinel")
                {
                    return;
                }

                seen.Add(e.Event.Id);
            }
        });
        var clock = Stopwatch.StartNew();
        var writers = Enumerable.Range(0, 4).Select(w => Child.Start("write", url, $"writer{w}", perWriter.ToString(global::System.Globalization.CultureInfo.InvariantCulture))).ToList();
        var results = await Task.WhenAll(writers.Select(Child.FinishAsync));
        var elapsed = clock.Elapsed;
        writers.ForEach(w => w.Dispose());
        await ledger.AppendAsync(new LedgerEvent("p9", 0, "bench.sentinel", "bench", "{}", id: "p9-sentinel"));
        await follower;

        var total = 4 * perWriter;
        var count = await ledger.CountAsync() - 1;
        var stored = new List<string>();
        await foreach (var e in ledger.ReadAsync(EventQuery.All))
        {
            if (e.Event.Id != "p9-sentinel")
            {
                stored.Add(e.Event.Id);
            }
        }

        var missed = stored.Count(id => !seen.Contains(id));
        Check(results.Sum(r => r.GetProperty("appended").GetInt32()) == total && count == total, "P9 stores every event exactly once");
        Check(missed == 0, $"P9 follower missed {missed} events");
        report(new Measurement(System, Backend, "P9", total, elapsed.TotalSeconds, Measurement.Rate(total, elapsed), Note: $"final count {count}, follower missed {missed}"));
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new BenchCheckException(what);
        }
    }
}

/// <summary>A correctness check of the harness failed: the figures would mean nothing.</summary>
internal sealed class BenchCheckException(string what) : Exception($"check failed: {what}");

/// <summary>Sizes of one benchmark run.</summary>
internal sealed record Settings(int SingleAppends, int RunLookups, int ConcurrentAppends, int BatchSize)
{
    /// <summary>Appends before the clock starts (JIT, prepared statements), on both sides.</summary>
    public int WarmUp { get; init; } = 50;

    /// <summary>Read trials (P4), each AgentLedger then raw; the table shows the median of each.</summary>
    public int Trials { get; init; } = 3;

    /// <summary>
    /// P1 trials, each AgentLedger, then raw, then C. A trial is ~0.2 s of commits whose cost swings with the disk
    /// from one second to the next, so P1 takes more trials than the reads for a stable median.
    /// </summary>
    public int AppendTrials { get; init; } = 7;

    /// <summary>The phases to run (all when empty); P2 always runs, the others read what it loaded.</summary>
    public IReadOnlySet<string> Phases { get; init; } = new HashSet<string>();

    public bool Runs(string phase) => Phases.Count == 0 || Phases.Contains(phase);
}
