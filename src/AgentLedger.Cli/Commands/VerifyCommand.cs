using System.CommandLine;
using Spectre.Console;

namespace AgentLedger.Cli.Commands;

internal static class VerifyCommand
{
    public static Command Create()
    {
        var command = new Command("verify", "Check the ledger's integrity (offsets increasing and unique, ids unique, payloads JSON objects, kinds well-formed, layout version known) and print its digest. Exit code 1 when anything is wrong.\n\n"
            + "Examples:\n  agentledger verify\n  agentledger --db snapshot.db verify --json");
        CommandAction.Set(command, async (context, cancellationToken) =>
        {
            await using var ledger = await context.OpenForReadingAsync(cancellationToken);
            var report = await LedgerVerification.VerifyAsync(ledger, cancellationToken);
            if (context.Json)
            {
                Render.WriteJson(new { valid = report.IsValid, problems = report.ProblemCount, listed = report.Problems, digest = report.Digest });
            }
            else
            {
                foreach (var problem in report.Problems)
                {
                    await Console.Error.WriteLineAsync($"problem: {problem}");
                }

                context.Out.WriteLine($"{ledger.Description}: {report.Digest}");
                context.Out.WriteLine(report.IsValid ? "ok: no problems found" : $"{report.ProblemCount} problem(s) found");
            }

            return report.IsValid ? Cli.Ok : Cli.RuntimeError;
        });
        return command;
    }
}
