using System.CommandLine;

namespace AgentLedger.Cli.Commands;

internal static class TailCommand
{
    private static readonly Option<long?> After = new("--after") { Description = "Only events after this offset (default: the last -n events)" };
    private static readonly Option<int> Lines = new("--lines", "-n") { Description = "How many of the latest events to show first (default 20)", DefaultValueFactory = _ => 20 };
    private static readonly Option<bool> Follow = new("--follow", "-f") { Description = "Keep waiting for new events (Ctrl-C ends); waits for the ledger to appear if it does not exist yet" };
    private static readonly Option<string?> Run = new("--run") { Description = "Only this run" };
    private static readonly Option<string?> Kind = new("--kind") { Description = "Only this kind" };
    private static readonly Option<string?> Actor = new("--actor") { Description = "Only this actor" };
    private static readonly Option<string?> Model = new("--model") { Description = "Only this model_id" };
    private static readonly Option<string?> Session = new("--session") { Description = "Only this session" };

    public static Command Create()
    {
        var command = new Command("tail", "Print the latest events, or those after an offset; with --follow, keep printing new ones as they arrive.\n\n"
            + "Examples:\n  agentledger tail -n 50\n  agentledger tail --follow --kind agent.spoke\n  agentledger tail --after 0 --run demo-7-1 --json")
        {
            After, Lines, Follow, Run, Kind, Actor, Model, Session,
        };
        CommandAction.Set(command, async (context, cancellationToken) =>
        {
            var follow = context.Get(Follow);
            var lines = context.Get(Lines);
            if (lines < 0)
            {
                throw new UsageException("--lines must be 0 or more");
            }

            if (context.Get(After) < 0)
            {
                throw new UsageException("--after must be 0 or more");
            }

            await using var ledger = follow ? await context.OpenWhenItExistsAsync(cancellationToken) : await context.OpenForReadingAsync(cancellationToken);
            var filters = new EventQuery
            {
                RunId = context.Get(Run),
                Kind = context.Get(Kind),
                Actor = context.Get(Actor),
                ModelId = context.Get(Model),
                SessionId = context.Get(Session),
            };

            long after;
            if (context.Get(After) is { } given)
            {
                after = given;
            }
            else
            {
                // The last N matching events, read backwards: exact with filters, whatever the offsets' gaps.
                var latest = await ledger.LatestOffsetAsync(cancellationToken);
                var last = new List<StoredEvent>(Math.Min(lines, 1024));
                await foreach (var e in ledger.ReadBackwardAsync(filters with { UpTo = latest, Limit = lines }, cancellationToken))
                {
                    last.Add(e);
                }

                for (var i = last.Count - 1; i >= 0; i--)
                {
                    await WriteAsync(context, last[i], cancellationToken);
                }

                after = latest;
                if (!follow)
                {
                    return Cli.Ok;
                }
            }

            var query = filters with { After = after };
            var events = follow ? ledger.FollowAsync(query, cancellationToken) : ledger.ReadAsync(query, cancellationToken);
            await foreach (var e in events)
            {
                await WriteAsync(context, e, cancellationToken);
            }

            return Cli.Ok;
        });
        return command;
    }

    private static async Task WriteAsync(CommandContext context, StoredEvent e, CancellationToken cancellationToken)
    {
        await Console.Out.WriteLineAsync(context.Json ? JsonlTrace.Write(e) : Render.Line(e));
        await Console.Out.FlushAsync(cancellationToken);
    }
}
