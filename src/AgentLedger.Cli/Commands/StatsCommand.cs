using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace AgentLedger.Cli.Commands;

internal static class StatsCommand
{
    private static readonly Option<string> By = new("--by") { Description = "Group by model, actor, kind or session", DefaultValueFactory = _ => "model" };
    private static readonly Option<string?> Run = new("--run") { Description = "Only this run" };

    public static Command Create()
    {
        By.AcceptOnlyFromAmong("model", "actor", "kind", "session");
        var command = new Command("stats", "Events, tokens and share per model (or actor, kind, session). Tokens are usage.input_tokens + usage.output_tokens of each event.\n\n"
            + "Examples:\n  agentledger stats\n  agentledger stats --by actor --run demo-7-1\n  agentledger stats --by kind --json")
        {
            By, Run,
        };
        CommandAction.Set(command, async (context, cancellationToken) =>
        {
            await using var ledger = await context.OpenForReadingAsync(cancellationToken);
            var grouping = Enum.Parse<StatsGrouping>(context.Get(By)!, ignoreCase: true);
            var query = context.Get(Run) is { } run ? new EventQuery { RunId = run } : EventQuery.All;
            var rows = await LedgerStats.ComputeAsync(ledger, grouping, query, cancellationToken);
            if (context.Json)
            {
                Render.WriteJson(rows.Select(r => new { key = r.Key, events = r.Events, tokens = r.Tokens, event_share = r.EventShare, token_share = r.TokenShare }));
                return Cli.Ok;
            }

            var table = new Table().Border(TableBorder.Simple)
                .AddColumn(context.Get(By)!).AddColumn(new TableColumn("events").RightAligned()).AddColumn(new TableColumn("share").RightAligned())
                .AddColumn(new TableColumn("tokens").RightAligned()).AddColumn(new TableColumn("token share").RightAligned());
            foreach (var r in rows)
            {
                table.AddRow(
                    Render.Cell(r.Key), r.Events.ToString("N0", CultureInfo.InvariantCulture), r.EventShare.ToString("P1", CultureInfo.InvariantCulture),
                    r.Tokens.ToString("N0", CultureInfo.InvariantCulture), r.TokenShare.ToString("P1", CultureInfo.InvariantCulture));
            }

            context.Out.Write(table);
            return Cli.Ok;
        });
        return command;
    }
}
