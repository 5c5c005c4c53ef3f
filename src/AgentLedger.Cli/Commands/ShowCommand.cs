using System.CommandLine;
using Spectre.Console;

namespace AgentLedger.Cli.Commands;

internal static class ShowCommand
{
    private static readonly Argument<string> Run = new("run") { Description = "The run id (see 'agentledger runs')" };

    public static Command Create()
    {
        var command = new Command("show", "Show one run: its summary, then its timeline (offset, turn, kind, actor, model, text).\n\n"
            + "Examples:\n  agentledger show demo-7-1\n  agentledger show demo-7-1 --json")
        {
            Run,
        };
        CommandAction.Set(command, async (context, cancellationToken) =>
        {
            await using var ledger = await context.OpenForReadingAsync(cancellationToken);
            var runId = context.Get(Run)!;
            var summary = await RunSummary.SummarizeAsync(ledger, runId, cancellationToken);
            if (summary.EventCount == 0)
            {
                throw new CliException($"no run '{runId}' in {ledger.Description}; 'agentledger runs' lists the runs");
            }

            if (context.Json)
            {
                Render.WriteJson(Render.SummaryJson(summary));
                await foreach (var e in ledger.ReadRunAsync(runId, cancellationToken))
                {
                    Console.Out.WriteLine(JsonlTrace.Write(e));
                }

                return Cli.Ok;
            }

            await WriteRunAsync(context, ledger, summary, cancellationToken);
            return Cli.Ok;
        });
        return command;
    }

    public static async Task WriteRunAsync(CommandContext context, ILedger ledger, RunSummary summary, CancellationToken cancellationToken)
    {
        context.Out.Write(Render.Summary(summary));
        var events = new List<StoredEvent>();
        await foreach (var e in ledger.ReadRunAsync(summary.RunId, cancellationToken))
        {
            events.Add(e);
            if (events.Count == 1000)
            {
                context.Out.Write(Render.Timeline(events));
                events.Clear();
            }
        }

        if (events.Count > 0)
        {
            context.Out.Write(Render.Timeline(events));
        }
    }
}
