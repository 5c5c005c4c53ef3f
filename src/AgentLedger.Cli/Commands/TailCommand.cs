using System.CommandLine;

namespace AgentLedger.Cli.Commands;

internal static class TailCommand
{
    private static readonly Option<long?> After = new("--after") { Description = "Only events after this offset (default: the last 20)" };
    private static readonly Option<bool> Follow = new("--follow", "-f") { Description = "Keep waiting for new events (Ctrl-C ends)" };
    private static readonly Option<string?> Run = new("--run") { Description = "Only this run" };
    private static readonly Option<string?> Kind = new("--kind") { Description = "Only this kind" };
    private static readonly Option<string?> Actor = new("--actor") { Description = "Only this actor" };
    private static readonly Option<string?> Model = new("--model") { Description = "Only this model_id" };
    private static readonly Option<string?> Session = new("--session") { Description = "Only this session" };

    public static Command Create()
    {
        var command = new Command("tail", "Print the latest events, or those after an offset; with --follow, keep printing new ones as they arrive.\n\n"
            + "Examples:\n  agentledger tail\n  agentledger tail --follow --kind agent.spoke\n  agentledger tail --after 0 --run demo-7-1 --json")
        {
            After, Follow, Run, Kind, Actor, Model, Session,
        };
        CommandAction.Set(command, async (context, cancellationToken) =>
        {
            await using var ledger = await context.OpenForReadingAsync(cancellationToken);
            var after = context.Get(After) ?? Math.Max(0, await ledger.LatestOffsetAsync(cancellationToken) - 20);
            if (after < 0)
            {
                throw new UsageException("--after must be 0 or more");
            }

            var query = new EventQuery
            {
                After = after,
                RunId = context.Get(Run),
                Kind = context.Get(Kind),
                Actor = context.Get(Actor),
                ModelId = context.Get(Model),
                SessionId = context.Get(Session),
            };
            var events = context.Get(Follow) ? ledger.FollowAsync(query, cancellationToken) : ledger.ReadAsync(query, cancellationToken);
            await foreach (var e in events)
            {
                await Console.Out.WriteLineAsync(context.Json ? JsonlTrace.Write(e) : Render.Line(e));
                await Console.Out.FlushAsync(cancellationToken);
            }

            return Cli.Ok;
        });
        return command;
    }
}
