using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace AgentLedger.ServerBench;

/// <summary>The four measurements of issue 11's point 6, each on fresh stores.</summary>
internal sealed class Phases(Func<string, string> newStore, string backend, Action<Result> report)
{
    private const string System = "agentledger-server";

    public static LedgerEvent Event(int run, int turn, string tag)
        => new($"{tag}-run-{run}", turn, "agent.spoke", $"agent-{turn % 4}",
            $$$"""{"text":"turn {{{turn}}} of run {{{run}}}: a line of model output of about the usual length for a chat turn","usage":{"input_tokens":{{{100 + turn}}},"output_tokens":{{{20 + (turn % 7)}}}}}""",
            id: $"{tag}-{run}-{turn}", modelProfile: "fast", modelId: "openai/gpt-4o-mini");

    private static string Text(IEnumerable<LedgerEvent> events)
        => string.Join('\n', events.Select(e => JsonlTrace.Write(new StoredEvent(1, e)).Replace("\"offset\":1,", "", StringComparison.Ordinal)));

    private static Task PostAsync(HttpClient client, IEnumerable<LedgerEvent> events) => PostAsync(client, Encoding.UTF8.GetBytes(Text(events)));

    private static async Task PostAsync(HttpClient client, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/x-ndjson");
        using var response = await client.PostAsync("api/events", content);
        if (!response.IsSuccessStatusCode)
        {
            throw new BenchCheckException($"append over HTTP: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>S: many SSE subscribers while writers append over HTTP; every subscriber must get every event once, in order.</summary>
    public async Task FanOutAsync(int subscribers, int writers, int events)
    {
        await using var server = await BenchServer.StartAsync(newStore("fanout"));
        using var readers = server.NewClient();
        using var writing = server.NewClient();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var subs = Enumerable.Range(0, subscribers).Select(_ => new Subscriber()).ToList();
        var running = subs.Select(s => Task.Run(() => s.RunAsync(readers, "api/stream?after=0", events, stop.Token))).ToList();
        await Task.WhenAll(subs.Select(s => s.Connected));

        var clock = Stopwatch.StartNew();
        var perWriter = events / writers;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < perWriter; i++)
            {
                await PostAsync(writing, [Event(w, i, "fan")]);
            }
        })));
        var appended = clock.Elapsed;
        await Task.WhenAll(running);
        var delivered = clock.Elapsed;

        var expected = new List<long>();
        await foreach (var e in server.Ledger.ReadAsync(EventQuery.All))
        {
            expected.Add(e.Offset);
        }

        foreach (var (s, i) in subs.Select((s, i) => (s, i)))
        {
            if (s.Check(expected) is { } problem)
            {
                throw new BenchCheckException($"subscriber {i}: {problem}");
            }
        }

        report(new Result(System, backend, "S-append", events, appended.TotalSeconds, events / appended.TotalSeconds,
            Note: $"{writers} writers, single events over HTTP, while {subscribers} subscribers stream"));
        report(new Result(System, backend, "S-fanout", (long)events * subscribers, delivered.TotalSeconds, (double)events * subscribers / delivered.TotalSeconds,
            Note: $"{subscribers} SSE subscribers × {events} events: every subscriber got every event once, in order; all delivered {delivered.TotalMilliseconds - appended.TotalMilliseconds:0} ms after the last append"));
    }

    /// <summary>I: server CPU and memory while many subscribers are idle, then one append that all must receive.</summary>
    public async Task IdleAsync(int subscribers, TimeSpan idle)
    {
        await using var server = await BenchServer.StartAsync(newStore($"idle{subscribers}"));
        using var client = server.NewClient();
        await server.Ledger.AppendAsync(Event(0, 0, "idle"));
        var process = Process.GetCurrentProcess();
        GC.Collect();
        process.Refresh();
        var rssBefore = process.WorkingSet64;

        using var stop = new CancellationTokenSource();
        var subs = Enumerable.Range(0, subscribers).Select(_ => new Subscriber()).ToList();
        var running = subs.Select(s => Task.Run(() => s.RunAsync(client, "api/stream?after=1", 1, stop.Token))).ToList();
        await Task.WhenAll(subs.Select(s => s.Connected));
        await Task.Delay(TimeSpan.FromSeconds(1)); // settle
        if (subs.Any(s => s.Count != 0))
        {
            throw new BenchCheckException("an idle subscriber received an event before any was appended: the store was not fresh");
        }

        GC.Collect();
        process.Refresh();
        var rss = process.WorkingSet64 - rssBefore;
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await Task.Delay(idle);
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds;
        var wall = clock.Elapsed.TotalMilliseconds;

        var wake = Stopwatch.StartNew();
        await server.Ledger.AppendAsync(Event(0, 1, "idle"));
        var all = Task.WhenAll(running);
        if (await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(60))) != all)
        {
            throw new BenchCheckException($"after one append only {subs.Count(s => s.Count == 1)} of {subscribers} idle subscribers received it");
        }

        var woken = wake.Elapsed;
        await all; // a subscriber that failed fails the run
        if (subs.Any(s => s.Offsets is not [2]))
        {
            throw new BenchCheckException($"only {subs.Count(s => s.Offsets is [2])} of {subscribers} idle subscribers received exactly the one new event");
        }

        report(new Result(System, backend, subscribers == 1 ? "I-one" : "I-idle", subscribers, wall / 1000, CpuPercent: cpu / wall * 100, RssMb: rss / 1024.0 / 1024,
            Note: $"{subscribers} idle SSE subscribers for {idle.TotalSeconds:0} s: CPU of the whole process (clients included), memory added by the subscribers ({rss / 1024.0 / subscribers:0.0} KiB each, clients included); one append then reached all in {woken.TotalMilliseconds:0.0} ms"));
    }

    /// <summary>B: batches of 100 over HTTP against AppendBatchAsync of the same batches, on fresh stores.</summary>
    public async Task BatchRatioAsync(int events, int trials)
    {
        var library = new List<double>();
        var http = new List<double>();
        for (var trial = 0; trial < trials; trial++)
        {
            var batches = Enumerable.Range(0, events / 100).Select(r => Enumerable.Range(0, 100).Select(t => Event(r, t, $"b{trial}")).ToList()).ToList();
            await using (var ledger = await BenchServer.OpenAsync(newStore($"lib{trial}")))
            {
                var clock = Stopwatch.StartNew();
                foreach (var batch in batches)
                {
                    await ledger.AppendBatchAsync(batch);
                }

                library.Add(events / clock.Elapsed.TotalSeconds);
            }

            await using (var server = await BenchServer.StartAsync(newStore($"http{trial}")))
            {
                // The bodies are written before the clock starts, as the library's events are built before its clock.
                var bodies = batches.Select(b => Encoding.UTF8.GetBytes(Text(b))).ToList();
                using var client = server.NewClient();
                var clock = Stopwatch.StartNew();
                foreach (var body in bodies)
                {
                    await PostAsync(client, body);
                }

                http.Add(events / clock.Elapsed.TotalSeconds);
                if (await server.Ledger.CountAsync() != events)
                {
                    throw new BenchCheckException("HTTP batches: not every event was stored");
                }
            }
        }

        var lib = Result.Median(library);
        var web = Result.Median(http);
        report(new Result(System, backend, "B-library", events, RatePerS: lib, Note: $"AppendBatchAsync, batches of 100, median of {trials}"));
        report(new Result(System, backend, "B-http", events, RatePerS: web, Note: $"POST api/events, JSON lines, batches of 100, one client, median of {trials}"));
        report(new Result(System, backend, "B-ratio", events, Ratio: web / lib, Note: "HTTP batch append ÷ library batch append (target ≥ 0.5)"));
    }

    /// <summary>R: one run's 100 events over HTTP, in a ledger of many runs: median request latency.</summary>
    public async Task RunReadAsync(int runs, int requests)
    {
        await using var server = await BenchServer.StartAsync(newStore("runread"));
        for (var r = 0; r < runs; r++)
        {
            await server.Ledger.AppendBatchAsync(Enumerable.Range(0, 100).Select(t => Event(r, t, "read")).ToList());
        }

        using var client = server.NewClient();
        var latencies = new List<double>(requests);
        for (var i = -20; i < requests; i++)
        {
            var run = $"read-run-{(i + 20) * 7 % runs}";
            var clock = Stopwatch.StartNew();
            var body = await client.GetByteArrayAsync($"api/runs/{run}/events");
            var elapsed = clock.Elapsed.TotalMicroseconds;
            using var page = JsonDocument.Parse(body);
            if (page.RootElement.GetProperty("events").GetArrayLength() != 100)
            {
                throw new BenchCheckException($"{run}: not 100 events");
            }

            if (i >= 0)
            {
                latencies.Add(elapsed);
            }
        }

        report(new Result(System, backend, "R-run", requests, MedianUs: Result.Median(latencies),
            Note: $"GET api/runs/RUN/events (100 events, ~{latencies.Count} requests) in a ledger of {runs} runs × 100 (target < 5 ms)"));
    }
}
