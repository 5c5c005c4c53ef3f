using System.CommandLine;
using Spectre.Console;

namespace AgentLedger.Cli.Commands;

internal static class DemoCommand
{
    private static readonly Option<int?> Seed = new("--seed") { Description = "Seed of the run (same seed, same run: recording it again changes nothing)" };
    private static readonly Option<int> Runs = new("--runs") { Description = "How many runs to record", DefaultValueFactory = _ => 1 };
    private static readonly Option<string?> Session = new("--session") { Description = "Session id to tag the runs with" };

    public static Command Create()
    {
        var command = new Command("demo", "Record a realistic multi-agent run (offline models behind the IChatClient middleware: no network needed), then show its summary and timeline.\n\n"
            + "Examples:\n  agentledger demo\n  agentledger demo --seed 7 --runs 3\n  agentledger --db postgresql://user:pass@localhost/ledger demo")
        {
            Seed, Runs, Session,
        };
        CommandAction.Set(command, RunAsync);
        return command;
    }

    private static async Task<int> RunAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var runs = context.Get(Runs);
        if (runs < 1)
        {
            throw new UsageException("--runs must be 1 or more");
        }

        var seed = context.Get(Seed) ?? Random.Shared.Next(1, 100_000);
        await using var ledger = await context.OpenForWritingAsync(cancellationToken);
        RunSummary? last = null;
        for (var run = 1; run <= runs; run++)
        {
            // The agents record themselves: every event goes through the IChatClient middleware or the run scope.
            var writer = new TallyingWriter(ledger);
            var runId = await DemoScenario.RecordAsync(writer, seed, run, context.Get(Session), cancellationToken);
            var tally = writer.Tally;
            last = await RunSummary.SummarizeAsync(ledger, runId, cancellationToken);
            if (!context.Json)
            {
                var note = tally.Duplicates + tally.Conflicts > 0 ? $" ({tally.Duplicates} already recorded, {tally.Conflicts} conflicts)" : "";
                context.Out.WriteLine($"recorded run {runId} into {ledger.Description}: {tally.Appended} events appended{note}");
            }
            else
            {
                Render.WriteJson(new { run_id = runId, appended = tally.Appended, duplicates = tally.Duplicates, conflicts = tally.Conflicts, summary = Render.SummaryJson(last) });
            }
        }

        if (!context.Json && last is not null)
        {
            context.Out.WriteLine();
            await ShowCommand.WriteRunAsync(context, ledger, last, cancellationToken);
            context.Out.WriteLine();
            context.Out.WriteLine("next: agentledger runs | agentledger show RUN | agentledger stats --by model | agentledger tail --follow");
        }

        return Cli.Ok;
    }
}
