using System.CommandLine;
using Spectre.Console;

namespace AgentLedger.Cli.Commands;

internal static class CopyCommand
{
    private static readonly Option<string> To = new("--to") { Description = "Destination URL or path (must be empty unless --merge)", Required = true };
    private static readonly Option<bool> Merge = new("--merge") { Description = "Append into a non-empty destination (new offsets, known ids skipped)" };

    public static Command Create()
    {
        var command = new Command("copy", "Copy the whole ledger into another store, keeping offsets and every field, then verify both by count and checksum.\n\n"
            + "Examples:\n  agentledger --db postgresql://user:pass@host/db copy --to snapshot.db\n  agentledger --db snapshot.db copy --to postgresql://user:pass@host/db2")
        {
            To, Merge,
        };
        CommandAction.Set(command, async (context, cancellationToken) =>
        {
            await using var source = await context.OpenForReadingAsync(cancellationToken);
            await using var destination = await CommandContext.Ledgers.OpenAsync(context.Get(To), cancellationToken: cancellationToken);
            var total = await source.CountAsync(cancellationToken);
            CopyReport report;
            using (var progress = new ProgressReporter("copied", total))
            {
                report = await LedgerCopy.CopyAsync(
                    source, destination, context.Get(Merge) ? CopyMode.Merge : CopyMode.PreserveOffsets, verify: !context.Get(Merge),
                    progress, cancellationToken: cancellationToken);
            }

            if (context.Json)
            {
                Render.WriteJson(new
                {
                    copied = report.Copied,
                    duplicates = report.Duplicates,
                    conflicts = report.Conflicts,
                    verified = report.Verified,
                    up_to = report.UpTo,
                    source = report.SourceDigest,
                    destination = report.DestinationDigest,
                });
            }
            else
            {
                context.Out.WriteLine($"copied {report.Copied} events from {source.Description} to {destination.Description}"
                    + (context.Get(Merge) ? $" ({report.Duplicates} already there, {report.Conflicts} conflicts)" : ""));
                if (report.SourceDigest is not null)
                {
                    context.Out.WriteLine($"source:      {report.SourceDigest}");
                    context.Out.WriteLine($"destination: {report.DestinationDigest}");
                    context.Out.WriteLine(report.Verified ? "verified: identical" : "NOT VERIFIED: the copies differ");
                }
            }

            return report.SourceDigest is null || report.Verified ? Cli.Ok : Cli.RuntimeError;
        });
        return command;
    }
}
