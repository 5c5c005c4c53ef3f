using System.CommandLine;
using Spectre.Console;

namespace AgentLedger.Cli.Commands;

internal static class AppendCommand
{
    private static readonly Option<string?> Run = new("--run") { Description = "run_id" };
    private static readonly Option<int> Turn = new("--turn") { Description = "turn (0 or more)" };
    private static readonly Option<string?> Kind = new("--kind") { Description = "kind, dot-namespaced, e.g. agent.spoke" };
    private static readonly Option<string?> Actor = new("--actor") { Description = "actor" };
    private static readonly Option<string> Payload = new("--payload") { Description = "payload: a JSON object", DefaultValueFactory = _ => "{}" };
    private static readonly Option<string?> Session = new("--session") { Description = "session_id" };
    private static readonly Option<string?> ModelId = new("--model-id") { Description = "the model that actually ran" };
    private static readonly Option<string?> ModelProfile = new("--model-profile") { Description = "the route key the agent asked for" };
    private static readonly Option<string?> Id = new("--id") { Description = "the idempotency key (default: a new UUID)" };

    public static Command Create()
    {
        var command = new Command("append", "Append one event from options, or JSON lines from standard input (all-or-nothing). Prints each outcome: appended (with offset), duplicate or conflict.\n\n"
            + "Examples:\n  agentledger append --run r1 --turn 0 --kind agent.spoke --actor fox --payload '{\"text\":\"hi\"}' --model-id openai/gpt-4o-mini\n"
            + "  cat events.jsonl | agentledger append")
        {
            Run, Turn, Kind, Actor, Payload, Session, ModelId, ModelProfile, Id,
        };
        CommandAction.Set(command, async (context, cancellationToken) =>
        {
            var events = new List<LedgerEvent>();
            if (context.Get(Kind) is null && context.Get(Run) is null && Console.IsInputRedirected)
            {
                await foreach (var (e, _, _) in JsonlTrace.ReadAsync(Console.In, cancellationToken))
                {
                    events.Add(e);
                }
            }
            else
            {
                events.Add(new LedgerEvent(
                    runId: context.Get(Run) ?? throw new UsageException("--run is required (or pipe JSON lines on standard input)"),
                    turn: context.Get(Turn),
                    kind: context.Get(Kind) ?? throw new UsageException("--kind is required"),
                    actor: context.Get(Actor) ?? throw new UsageException("--actor is required"),
                    payload: context.Get(Payload)!,
                    id: context.Get(Id),
                    sessionId: context.Get(Session),
                    modelProfile: context.Get(ModelProfile),
                    modelId: context.Get(ModelId)));
            }

            await using var ledger = await context.OpenForWritingAsync(cancellationToken);
            foreach (var result in await ledger.AppendBatchAsync(events, cancellationToken))
            {
                if (context.Json)
                {
                    Render.WriteJson(new { id = result.Id, outcome = result.Outcome.ToString().ToLowerInvariant(), offset = result.Offset });
                }
                else
                {
                    context.Out.WriteLine(result.ToString());
                }
            }

            return Cli.Ok;
        });
        return command;
    }
}
