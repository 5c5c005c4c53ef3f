using System.Diagnostics;

namespace AgentLedger.Conformance;

/// <summary>Runs AgentLedger.TestWriter (referenced by the test project) as a real second process.</summary>
public static class WriterProcess
{
    public static Process Start(string url, string prefix, int count, int batchSize = 1, string? ackFile = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "AgentLedger.TestWriter.dll"));
        foreach (var arg in new[] { url, prefix, count.ToString(System.Globalization.CultureInfo.InvariantCulture), batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(arg);
        }

        if (ackFile is not null)
        {
            info.ArgumentList.Add(ackFile);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("could not start the writer process");
    }

    /// <summary>Waits for the process and returns its last output line, e.g. "appended 100 duplicate 0 conflict 0".</summary>
    public static async Task<string> FinishAsync(Process process, CancellationToken cancellationToken)
    {
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"writer exited with {process.ExitCode}: {await error}");
        }

        return (await output).Trim();
    }

    public static async Task<string> RunAsync(string url, string prefix, int count, CancellationToken cancellationToken, int batchSize = 1)
    {
        using var process = Start(url, prefix, count, batchSize);
        return await FinishAsync(process, cancellationToken);
    }
}
