using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace AgentLedger.Bench;

/// <summary>
/// The physical limit of the SQLite phases: bench/c/sqlite_limit.c, the same rows, table, indexes and pragmas
/// through libsqlite3's C API, linked against the SQLite build Microsoft.Data.Sqlite loads. scripts/bench.sh
/// builds it and passes its path (AGENTLEDGER_BENCH_C); without it the C column stays empty.
/// </summary>
internal static class CLimit
{
    public const string Variable = "AGENTLEDGER_BENCH_C";

    /// <summary>One P1 trial in C, run right after its two .NET twins so all three meet the same disk and load.</summary>
    public static Task SingleAppendsAsync(SqliteTarget target, Settings settings, int trial, Action<Measurement> report)
        => RunAsync(report, "p1", Folder(target), Text(settings.SingleAppends), Text(trial));

    /// <summary>P2 in C, then P4 (trials), P5 and P7 over what it stored; run right after the .NET bulk loads.</summary>
    public static Task BulkAsync(SqliteTarget target, Workload workload, Settings settings, Action<Measurement> report)
        => RunAsync(report, "bulk", Folder(target), Text(workload.Count), Text(workload.TurnsPerRun), Text(settings.Trials));

    /// <summary>
    /// P5 and P7 in C on a new read-only connection to the file AgentLedger just wrote and read: at every size of
    /// the scaling run both meet the same file and the same page cache, so the ratio says what is ours.
    /// </summary>
    public static Task ReadsAsync(string file, Workload workload, Action<Measurement> report)
        => RunAsync(report, "reads", file, Text(workload.Count), Text(workload.TurnsPerRun));

    private static string Folder(SqliteTarget target) => Directory.CreateDirectory(Path.Combine(target.Folder, "c")).FullName;

    private static async Task RunAsync(Action<Measurement> report, string mode, params string[] args)
    {
        if (Environment.GetEnvironmentVariable(Variable) is not { Length: > 0 } harness)
        {
            return;
        }

        var start = new ProcessStartInfo(harness) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(mode);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {harness}");
        var output = await process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new BenchCheckException($"the C limit failed ({process.ExitCode}): {errors.Trim()}");
        }

        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            report(JsonSerializer.Deserialize<Measurement>(line) ?? throw new BenchCheckException($"the C limit printed '{line}'"));
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
