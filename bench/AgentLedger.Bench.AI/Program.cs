// The IChatClient middleware's cost per model call: the same fake model with and without UseAgentLedger (on a
// SQLite file, one event appended per call), in alternating trials. Usage:
//   AgentLedger.Bench.AI [--quick] [--calls 2000] [--trials 5] [--latency-ms 1]
// Time: mean per call over a trial; the variants alternate trial by trial, and both the median and the
// fastest trial are printed (on a shared machine the fastest is the better estimate of the intrinsic cost). Allocations: a model that answers synchronously, so
// the whole call (the SQLite append included) runs on one thread and GC.GetAllocatedBytesForCurrentThread sees it.
using System.Diagnostics;
using System.Globalization;
using AgentLedger;
using AgentLedger.Bench.AI;
using AgentLedger.Extensions.AI;
using AgentLedger.Sqlite;
using Microsoft.Extensions.AI;

var quick = args.Contains("--quick");
var calls = Option("--calls") ?? (quick ? 100 : 1000);
var trials = Option("--trials") ?? (quick ? 1 : 10);
var latency = TimeSpan.FromMilliseconds(Option("--latency-ms") ?? 1);
int? Option(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : null;

var folder = Directory.CreateTempSubdirectory("agentledger-bench-ai-").FullName;
try
{
    await using var ledger = await Ledger.Create().UseSqlite().OpenAsync(Path.Combine(folder, "bench.db"));
    await using var memory = await Ledger.OpenAsync(":memory:");
    Console.WriteLine($"# machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}; shared machine: figures are indicative");
    Console.WriteLine($"# {calls} calls x {trials} trials per variant, fake model latency {latency.TotalMilliseconds} ms, ledger {ledger.Description}");

    List<ChatMessage> request = [new(ChatRole.System, "You are fox, one of four detectives."), new(ChatRole.User, "Near the mill: muddy footprints. Who was there?")];
    var plain = new FakeModel(latency);
    var recorded = new FakeModel(latency).AsBuilder().UseAgentLedger(ledger).Build();
    var inMemory = new FakeModel(latency).AsBuilder().UseAgentLedger(memory).Build();
    var behind = new FakeModel(latency).AsBuilder().UseAgentLedger(ledger, o => o.WriteBehind = true).Build();
    await using var run = await ledger.BeginRunAsync("bench-ai");
    await using var memoryRun = await memory.BeginRunAsync("bench-ai");

    var turn = 0;
    async Task<double> TrialAsync(IChatClient client, LedgerRun? scopeRun)
    {
        // A fresh turn per trial: every call is a new event, never a duplicate.
        using var scope = scopeRun?.Turn(++turn, "fox", "fast");
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < calls; i++)
        {
            await client.GetResponseAsync(request);
        }

        return clock.Elapsed.TotalMicroseconds / calls;
    }

    await TrialAsync(plain, null);
    await TrialAsync(recorded, run);
    await TrialAsync(inMemory, memoryRun);
    await TrialAsync(behind, run);
    var (without, with, withMemory, withBehind) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
    for (var t = 0; t < trials; t++)
    {
        without.Add(await TrialAsync(plain, null));
        with.Add(await TrialAsync(recorded, run));
        withMemory.Add(await TrialAsync(inMemory, memoryRun));
        withBehind.Add(await TrialAsync(behind, run));
    }

    await behind.GetRequiredService<LedgerChatClient>().FlushAsync();
    var (baseUs, sqliteUs, memoryUs, behindUs) = (Median(without), Median(with), Median(withMemory), Median(withBehind));
    var ms = latency.TotalMicroseconds;
    void Line(string name, List<double> values, double baseline, string note)
    {
        var (median, fastest) = (Median(values), values.Min());
        Console.WriteLine(FormattableString.Invariant(
            $"{name,-28} median {median,7:0.0} µs/call, added {median - baseline,6:0.0} µs = {(median - baseline) / ms,6:P1} | fastest {fastest,7:0.0}, added {fastest - without.Min(),6:0.0} µs = {(fastest - without.Min()) / ms,6:P1}{note}"));
    }

    Console.WriteLine(FormattableString.Invariant($"{"without middleware",-28} median {baseUs,7:0.0} µs/call | fastest {without.Min(),7:0.0}"));
    Line("with, SQLite file", with, baseUs, "");
    Line("with, SQLite, write-behind", withBehind, baseUs, "  (appends batched off the call path)");
    Line("with, in-memory ledger", withMemory, baseUs, "  (the middleware's own work)");
    _ = (sqliteUs, memoryUs, behindUs);

    var syncPlain = new FakeModel(TimeSpan.Zero);
    var syncRecorded = new FakeModel(TimeSpan.Zero).AsBuilder().UseAgentLedger(ledger).Build();
    var syncMemory = new FakeModel(TimeSpan.Zero).AsBuilder().UseAgentLedger(memory).Build();
    var (allocPlain, allocSqlite, allocMemory) = (await BytesPerCallAsync(syncPlain, null), await BytesPerCallAsync(syncRecorded, run), await BytesPerCallAsync(syncMemory, memoryRun));
    Console.WriteLine($"allocated per call: without {allocPlain:N0} B, with (SQLite) {allocSqlite:N0} B, with (in-memory) {allocMemory:N0} B; the middleware adds {allocSqlite - allocPlain:N0} B (SQLite) / {allocMemory - allocPlain:N0} B (in-memory)");

    var events = await ledger.CountAsync();
    var expected = 1 + (2 * calls * (trials + 1)) + calls + 1; // run.started, warm-up and timed trials of both SQLite variants, the allocation loop and its warm-up call
    if (events != expected)
    {
        Console.WriteLine($"bench ai: FAILED: {events} events recorded, expected {expected}");
        return 1;
    }

    Console.WriteLine($"bench ai: ok ({events} events, one per recorded call)");
    return 0;

    async Task<double> BytesPerCallAsync(IChatClient client, LedgerRun? scopeRun)
    {
        using var scope = scopeRun?.Turn(++turn, "fox", "fast");
        await client.GetResponseAsync(request);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < calls; i++)
        {
            await client.GetResponseAsync(request);
        }

        return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)calls;
    }
}
finally
{
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    Directory.Delete(folder, recursive: true);
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}
