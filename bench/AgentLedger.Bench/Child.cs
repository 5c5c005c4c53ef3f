using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace AgentLedger.Bench;

/// <summary>Phases that must run in a process of their own: opening cold (P3), re-appending as a stranger (P8), concurrent writers (P9).</summary>
internal static class Child
{
    /// <summary>Runs this harness again as a child: <c>child MODE ARGS...</c>; returns its last output line as JSON.</summary>
    public static Process Start(params string[] args)
    {
        var host = Environment.ProcessPath!;
        var info = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            info.ArgumentList.Add(typeof(Child).Assembly.Location);
        }

        info.ArgumentList.Add("child");
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info)!;
    }

    public static async Task<JsonElement> FinishAsync(Process process)
    {
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"child {string.Join(' ', process.StartInfo.ArgumentList)} failed ({process.ExitCode}): {error}");
        }

        return JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement.Clone();
    }

    public static async Task<JsonElement> RunAsync(params string[] args)
    {
        using var process = Start(args);
        return await FinishAsync(process);
    }

    /// <summary>The child's side.</summary>
    public static async Task<int> MainAsync(string[] args)
    {
        var mode = args[0];
        var url = args[1];
        switch (mode)
        {
            case "open":
                {
                    // P3: from nothing to the first event read, in a fresh process.
                    var clock = Stopwatch.StartNew();
                    await using var ledger = await BenchLedgers.OpenAsync(url);
                    await foreach (var _ in ledger.ReadAsync(new EventQuery { Limit = 1 }))
                    {
                        break;
                    }

                    var seconds = clock.Elapsed.TotalSeconds;
                    Console.WriteLine(JsonSerializer.Serialize(new { seconds, rss_mb = PeakRssMb() }));
                    return 0;
                }

            case "duplicate":
                {
                    // P8: re-append events another process stored; each must be a duplicate.
                    var (count, turns) = (int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture));
                    await using var ledger = await BenchLedgers.OpenAsync(url);
                    var events = Enumerable.Range(0, count).Select(i => Workload.Event(i, turns)).ToList();
                    var duplicates = 0;
                    var clock = Stopwatch.StartNew();
                    foreach (var e in events)
                    {
                        duplicates += (await ledger.AppendAsync(e)).Outcome == AppendOutcome.Duplicate ? 1 : 0;
                    }

                    var seconds = clock.Elapsed.TotalSeconds;
                    Console.WriteLine(JsonSerializer.Serialize(new { seconds, duplicates, count = await ledger.CountAsync() }));
                    return 0;
                }

            case "write":
                {
                    // P9: one of several concurrent writer processes.
                    var (space, count) = (args[2], int.Parse(args[3], CultureInfo.InvariantCulture));
                    await using var ledger = await BenchLedgers.OpenAsync(url);
                    var appended = 0;
                    for (var i = 0; i < count; i++)
                    {
                        var e = Workload.Event(i, 100, space);
                        appended += (await ledger.AppendAsync(new LedgerEvent($"p9-{space}", i, e.Kind, e.Actor, e.Payload, id: e.Id))).IsAppended ? 1 : 0;
                    }

                    Console.WriteLine(JsonSerializer.Serialize(new { appended }));
                    return 0;
                }

            default:
                await Console.Error.WriteLineAsync($"unknown child mode {mode}");
                return 2;
        }
    }

    /// <summary>This process's peak resident set size (VmHWM), in MB.</summary>
    public static double PeakRssMb()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
            }
        }

        return double.NaN;
    }
}
