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
    private static readonly Option<long?> Before = new("--before") { Description = "Only runs whose first event is before this offset (newest first): the next page, from the footer" };
    private static readonly Option<long?> After = new("--after") { Description = "Only runs whose first event is after this offset (oldest first): the next page, from the footer" };

    /// <summary>The largest run-index page one read asks for (the contract's limit).</summary>
    private const int MaxIndexPage = 10_000;

    public static Command Create()
    {
        Status.AcceptOnlyFromAmong("running", "finished");
        var command = new Command("runs", "List runs, newest first (by their first event), with their summaries.\n\n"
            + "Examples:\n  agentledger runs\n  agentledger runs --status finished --model openai/gpt-4o-mini --limit 5\n"
            + "  agentledger runs --before 5120          (the next page, as the footer says)\n  agentledger runs --json")
        {
            Session, Model, Status, Limit, Oldest, Before, After,
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

        var before = context.Get(Before);
        var after = context.Get(After);
        if (before is < 1)
        {
            throw new UsageException("--before must be 1 or more");
        }

        if (after is < 0)
        {
            throw new UsageException("--after must be 0 or more");
        }

        if (before is not null && (after is not null || context.Get(Oldest)))
        {
            throw new UsageException("--before lists newest first: give it without --after and --oldest-first");
        }

        var oldestFirst = context.Get(Oldest) || after is not null;
        await using var ledger = await context.OpenForReadingAsync(cancellationToken);

        // Pages of the run index from the cursor on; each summary folds one run through the (run_id, offset)
        // index, and only runs up to the page's end are folded. A filter that few runs match reads on until it
        // has --limit of them or no run is left: the command answers one person's question (Ctrl-C ends it),
        // unlike the server, which bounds each request because every client shares it. The loop stops only while
        // holding a run it will not show, so "next page" is printed exactly when a run is left.
        var summaries = new List<RunSummary>();
        var more = false;
        var first = oldestFirst
            ? new RunListQuery { After = after ?? 0, Limit = Math.Min(limit + 1, MaxIndexPage) }
            : new RunListQuery { NewestFirst = true, Before = before, Limit = Math.Min(limit + 1, MaxIndexPage) };
        await foreach (var entry in ledger.ListRunsFromAsync(first, MaxIndexPage, cancellationToken))
        {
            if (summaries.Count == limit)
            {
                more = true;
                break;
            }

            var summary = await RunSummary.SummarizeAsync(ledger, entry.RunId, cancellationToken);
            if (summary.EventCount > 0 && Matches(summary, context.Get(Session), context.Get(Model), context.Get(Status)))
            {
                summaries.Add(summary);
            }
        }

        if (context.Json)
        {
            // An array, as before: the next page starts at the last run's first_offset (an empty array is the end).
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
        var next = more ? $"; next page: {(oldestFirst ? "--after" : "--before")} {summaries[^1].FirstOffset.ToString(CultureInfo.InvariantCulture)}" : "";
        context.Out.WriteLine($"{summaries.Count} run(s), {(oldestFirst ? "oldest" : "newest")} first{next}");
        return Cli.Ok;
    }

    private static bool Matches(RunSummary s, string? session, string? model, string? status)
        => (session is null || s.SessionId == session)
           && (status is null || s.Status == status)
           && (model is null || s.WinningModel == model || s.WinningModels.Contains(model) || s.ModelsUsed.Contains(model) || s.Cast.Values.Contains(model));
}
