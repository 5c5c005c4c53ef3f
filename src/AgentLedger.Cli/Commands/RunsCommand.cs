using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace AgentLedger.Cli.Commands;

internal static class RunsCommand
{
    private static readonly Option<string?> Session = new("--session") { Description = "Only runs of this session" };
    private static readonly Option<string?> Model = new("--model") { Description = "Only runs whose cast or winner used this model" };
    private static readonly Option<string?> Status = new("--status") { Description = "running or finished" };
    private static readonly Option<int> Limit = new("--limit") { Description = "At most this many runs (newest first)", DefaultValueFactory = _ => 20 };
    private static readonly Option<bool> Oldest = new("--oldest-first") { Description = "List in first-seen order instead of newest first" };

    public static Command Create()
    {
        Status.AcceptOnlyFromAmong("running", "finished");
        var command = new Command("runs", "List runs, newest first (by their first event), with their summaries.\n\n"
            + "Examples:\n  agentledger runs\n  agentledger runs --status finished --model openai/gpt-4o-mini --limit 5\n  agentledger runs --json")
        {
            Session, Model, Status, Limit, Oldest,
        };
        CommandAction.Set(command, RunAsync);
        return command;
    }

    private static async Task<int> RunAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var limit = context.Get(Limit);
        if (limit < 1)
        {
            throw new UsageException("--limit must be 1 or more");
        }

        await using var ledger = await context.OpenForReadingAsync(cancellationToken);

        // Run ids come from the backend's run index; each summary folds one run through the (run_id, offset) index.
        var runIds = new List<string>();
        await foreach (var run in ledger.ListRunsAsync(cancellationToken))
        {
            runIds.Add(run);
        }

        if (!context.Get(Oldest))
        {
            runIds.Reverse();
        }

        var summaries = new List<RunSummary>();
        foreach (var runId in runIds)
        {
            var summary = await RunSummary.SummarizeAsync(ledger, runId, cancellationToken);
            if (Matches(summary, context.Get(Session), context.Get(Model), context.Get(Status)))
            {
                summaries.Add(summary);
                if (summaries.Count == limit)
                {
                    break;
                }
            }
        }

        if (context.Json)
        {
            Render.WriteJson(summaries.Select(Render.SummaryJson));
            return Cli.Ok;
        }

        var table = new Table().Border(TableBorder.Simple);
        foreach (var column in new[] { "run", "scenario", "session", "started", "finished", "reason", "winner", "winning model", "turns", "tokens", "events" })
        {
            table.AddColumn(column);
        }

        foreach (var s in summaries)
        {
            table.AddRow(
                Render.Cell(s.RunId), Render.Cell(s.Scenario ?? ""), Render.Cell(s.SessionId ?? ""), Render.Time(s.StartedAt),
                s.IsFinished ? Render.Time(s.FinishedAt) : "running", Render.Cell(s.Reason ?? ""), Render.Cell(s.Winner ?? ""),
                Render.Cell(s.WinningModel ?? ""), s.Turns.ToString(CultureInfo.InvariantCulture),
                s.Tokens.ToString(CultureInfo.InvariantCulture), s.EventCount.ToString(CultureInfo.InvariantCulture));
        }

        context.Out.Write(table);
        context.Out.WriteLine($"{summaries.Count} run(s), {(context.Get(Oldest) ? "oldest" : "newest")} first");
        return Cli.Ok;
    }

    private static bool Matches(RunSummary s, string? session, string? model, string? status)
        => (session is null || s.SessionId == session)
           && (status is null || s.Status == status)
           && (model is null || s.WinningModel == model || s.WinningModels.Contains(model) || s.ModelsUsed.Contains(model) || s.Cast.Values.Contains(model));
}
