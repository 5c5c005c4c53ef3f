// The HTTP server under load (issue 11, point 6), on a real Kestrel at a loopback port, clients in the same
// process. Usage:
//   AgentLedger.ServerBench [--quick] [--backends sqlite,postgres] [--postgres URL] [--out results.jsonl]
// --quick is a smoke run (small numbers) that checks correctness only: every subscriber got every event once, in order.
using AgentLedger.ServerBench;

var quick = args.Contains("--quick");
string? Value(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

var postgres = Value("--postgres") ?? Environment.GetEnvironmentVariable("AGENTLEDGER_BENCH_POSTGRES");
var backends = (Value("--backends") ?? "sqlite").Split(',', StringSplitOptions.RemoveEmptyEntries);
await using var output = Value("--out") is { } path ? new StreamWriter(path, append: true) : null;
var results = new List<Result>();
void Report(Result r)
{
    results.Add(r);
    Console.WriteLine(r.ToJson());
    output?.WriteLine(r.ToJson());
}

Console.WriteLine($"# machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}; load average {File.ReadAllText("/proc/loadavg").Trim()}");
var scratch = Directory.CreateTempSubdirectory("agentledger-serverbench-").FullName;
var failed = false;
try
{
    foreach (var backend in backends)
    {
        var runId = Guid.NewGuid().ToString("N")[..8];
        Func<string, string> newStore = backend switch
        {
            "sqlite" => name => Path.Combine(scratch, $"{name}.db"),
            "postgres" => name => (postgres ?? throw new InvalidOperationException("no PostgreSQL: pass --postgres URL or set AGENTLEDGER_BENCH_POSTGRES"))
                + (postgres.Contains('?', StringComparison.Ordinal) ? "&" : "?") + $"schema=sb_{runId}_{name}",
            _ => throw new InvalidOperationException($"unknown backend {backend}"),
        };
        var phases = new Phases(newStore, backend, Report);
        try
        {
            await phases.FanOutAsync(quick ? 20 : 200, 4, quick ? 200 : 2000);
            // One subscriber first: the fixed cost (Kestrel's timers, the ledger's one change probe); the difference is what subscribers add.
            await phases.IdleAsync(1, TimeSpan.FromSeconds(quick ? 1 : 10));
            await phases.IdleAsync(quick ? 100 : 1000, TimeSpan.FromSeconds(quick ? 1 : 10));
            await phases.BatchRatioAsync(quick ? 1000 : 20_000, quick ? 1 : 3);
            await phases.RunReadAsync(quick ? 10 : 100, quick ? 20 : 500);
        }
        catch (Exception ex) when (ex is BenchCheckException or InvalidOperationException or HttpRequestException or AgentLedger.LedgerException)
        {
            Console.Error.WriteLine($"FAILED ({backend}): {ex.Message}");
            failed = true;
        }
    }
}
finally
{
    Directory.Delete(scratch, recursive: true);
}

Console.WriteLine();
Console.WriteLine($"{"backend",-9} {"phase",-10} {"figure",-34} note");
foreach (var r in results)
{
    Console.WriteLine($"{r.Backend,-9} {r.Phase,-10} {r.Figure,-34} {r.Note}");
}

if (quick)
{
    Console.WriteLine(failed ? "server bench smoke: FAILED" : "server bench smoke: ok (every subscriber got every event once, in order)");
}

return failed ? 1 : 0;
