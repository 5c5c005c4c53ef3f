using System.Diagnostics;
using System.Text;

namespace AgentLedger.Cli.Tests;

/// <summary>What one run of the tool printed and returned.</summary>
public sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>Runs the built agentledger tool as a real process, as a user would.</summary>
public static class ToolProcess
{
    private static string ToolPath => Path.Combine(AppContext.BaseDirectory, "AgentLedger.Cli.dll");

    public static ProcessStartInfo StartInfo(string workingDirectory, IEnumerable<string> args, bool redirectInput = false)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(ToolPath);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // Never pick up a developer's DATABASE_URL by accident.
        info.Environment.Remove("DATABASE_URL");
        info.Environment["NO_COLOR"] = "1";
        return info;
    }

    public static async Task<ToolResult> RunAsync(string workingDirectory, string[] args, string? stdin = null, CancellationToken cancellationToken = default)
    {
        using var process = Process.Start(StartInfo(workingDirectory, args, redirectInput: stdin is not null))!;
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return new ToolResult(process.ExitCode, await stdout, await stderr);
    }
}
