// The ledger workload (P1–P9 of WORKLOAD.md) on each backend, and in the same run the raw limits of
// the same machine, printed as ratios. Usage:
//   AgentLedger.Bench [--quick] [--n 100000] [--backends memory,sqlite,postgres] [--postgres URL] [--out results.jsonl] [--scaling] [--phases P1,P4]
// --quick is a smoke run (small N) that checks correctness only: counts, no duplicates, nothing missed.
using System.Globalization;
using AgentLedger;
using AgentLedger.Bench;

if (args.Length > 0 && args[0] == "child")
{
    return await Child.MainAsync(args[1..]);
}

var options = BenchOptions.Parse(args);
var workload = new Workload(options.EventCount / 100, 100);
// P2 stores all N events as one atomic batch: the same transaction shape as the raw limit (one transaction, one prepared command).
var settings = (options.Quick ? new Settings(200, 100, 50, workload.Count) { Trials = 1, AppendTrials = 1, WarmUp = 10 } : new Settings(2000, 1000, 500, workload.Count)) with { Phases = options.Phases };
var results = new List<Measurement>();
await using var output = options.OutPath is null ? null : new StreamWriter(options.OutPath, append: true);
void Report(Measurement m)
{
    results.Add(m);
    Console.WriteLine(m.ToJson());
    output?.WriteLine(m.ToJson());
}

Console.WriteLine($"# machine: {Environment.ProcessorCount} cores, {MachineMemoryGb():0.0} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
Console.WriteLine($"# workload: N = {workload.Count:N0} events ({workload.Runs} runs × {workload.TurnsPerRun}), {(options.Quick ? "quick" : options.Scaling ? "scaling" : "full")}");
Console.WriteLine($"# SQLite {RawSqlite.Version()} via Microsoft.Data.Sqlite, pragmas: {RawSqlite.Pragmas} (AgentLedger's defaults)");
var failed = false;
foreach (var backend in options.Backends)
{
    try
    {
        await using BenchTarget target = backend switch
        {
            "memory" => new MemoryTarget(),
            "sqlite" => new SqliteTarget(),
            "postgres" => new PostgresTarget(options.PostgresUrl ?? throw new InvalidOperationException(
                "no PostgreSQL: pass --postgres URL or set AGENTLEDGER_BENCH_POSTGRES (scripts/bench.sh starts one)")),
            _ => throw new InvalidOperationException($"unknown backend {backend}"),
        };
        if (target is PostgresTarget pg)
        {
            Console.WriteLine($"# {await new RawPostgres(pg, workload, settings, Report).DescribeServerAsync()}");
        }

        await using IRawLimits? raw = target switch
        {
            SqliteTarget sqlite => new RawSqlite(sqlite, workload, settings, Report),
            PostgresTarget postgres => new RawPostgres(postgres, workload, settings, Report),
            _ => null,
        };
        var phases = new LedgerPhases(target, workload, settings, Report, options.Scaling ? null : raw);
        if (options.Scaling)
        {
            await phases.RunScalingAsync();
            continue;
        }

        await phases.RunAsync();

        var extra = new ExtraPhases(target, settings, Report);
        if (settings.Runs("L"))
        {
            await extra.FollowLatencyAsync();
        }

        if (settings.Runs("I"))
        {
            await extra.IdleFollowersAsync(options.Quick ? 50 : 1000, TimeSpan.FromSeconds(options.Quick ? 1 : 10));
        }

        if (target is PostgresTarget guardTarget && settings.Runs("G"))
        {
            await extra.GuardCostAsync(guardTarget);
        }

        if (target is PostgresTarget writersTarget && raw is RawPostgres rawPostgres && settings.Runs("H"))
        {
            await extra.ConcurrentWritersAsync(writersTarget, rawPostgres, TimeSpan.FromSeconds(options.Quick ? 0.3 : 5));
        }
    }
    catch (Exception ex) when (ex is BenchCheckException or InvalidOperationException or LedgerException)
    {
        Console.Error.WriteLine($"FAILED ({backend}): {ex.Message}");
        failed = true;
    }
}

Console.WriteLine();
Console.WriteLine(Summary.Table(results));
if (options.Quick)
{
    Console.WriteLine(failed ? "bench smoke: FAILED" : "bench smoke: ok (counts, no duplicates, nothing missed)");
}

return failed ? 1 : 0;

static double MachineMemoryGb()
{
    var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0 / 1024.0;
}
