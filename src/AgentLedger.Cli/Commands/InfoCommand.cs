using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace AgentLedger.Cli.Commands;

internal static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Backend, location, layout version, events, runs, latest offset and size on disk.\n\n"
            + "Examples:\n  agentledger info\n  agentledger --db postgresql://user:pass@host/db info --json");
        CommandAction.Set(command, async (context, cancellationToken) =>
        {
            await using var ledger = await context.OpenForReadingAsync(cancellationToken);
            var runs = 0L;
            await foreach (var _ in ledger.ListRunsAsync(cancellationToken))
            {
                runs++;
            }

            var info = new
            {
                backend = ledger.Description.Backend,
                location = ledger.Description.Location,
                schema_version = ledger.Description.SchemaVersion,
                events = await ledger.CountAsync(cancellationToken),
                runs,
                latest_offset = await ledger.LatestOffsetAsync(cancellationToken),
                size_bytes = ledger is ILedgerStorageSize sized ? await sized.SizeOnDiskAsync(cancellationToken) : null,
            };
            if (context.Json)
            {
                Render.WriteJson(info);
                return Cli.Ok;
            }

            var table = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumn("field").AddColumn("value");
            table.AddRow("backend", info.backend);
            table.AddRow("location", Render.Cell(info.location));
            table.AddRow("layout version", info.schema_version.ToString(CultureInfo.InvariantCulture));
            table.AddRow("events", info.events.ToString("N0", CultureInfo.InvariantCulture));
            table.AddRow("runs", runs.ToString("N0", CultureInfo.InvariantCulture));
            table.AddRow("latest offset", info.latest_offset.ToString(CultureInfo.InvariantCulture));
            table.AddRow("size on disk", Render.Bytes(info.size_bytes));
            context.Out.Write(table);
            return Cli.Ok;
        });
        return command;
    }
}
