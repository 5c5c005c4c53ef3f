using System.CommandLine;
using Spectre.Console;

namespace AgentLedger.Cli.Commands;

internal static class ResetCommand
{
    private static readonly Option<bool> Yes = new("--yes") { Description = "Confirm: delete every event of every run" };

    public static Command Create()
    {
        var command = new Command("reset", "Destructive: delete every event of every run in the ledger. Refuses without --yes.\n\n"
            + "Examples:\n  agentledger --db scratch.db reset --yes")
        {
            Yes,
        };
        CommandAction.Set(command, async (context, cancellationToken) =>
        {
            if (!context.Get(Yes))
            {
                throw new UsageException($"reset deletes every event of every run in {context.DisplayLocation}; add --yes to confirm (export or copy it first to keep it)");
            }

            await using var ledger = await context.OpenForReadingAsync(cancellationToken);
            var count = await ledger.CountAsync(cancellationToken);
            await ledger.ResetAsync(cancellationToken);
            context.Out.WriteLine($"deleted {count} events from {ledger.Description}");
            return Cli.Ok;
        });
        return command;
    }
}
