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
    private static readonly Option<int> BatchSize = new("--batch-size") { Description = "Standard input: commit after this many lines (1: one commit per event)", DefaultValueFactory = _ => 100 };
    private static readonly Option<int> FlushMs = new("--flush-ms") { Description = "Standard input: commit what has arrived when input pauses this long", DefaultValueFactory = _ => 200 };

    public static Command Create()
    {
        var command = new Command("append", "Append one event from options, or JSON lines from standard input as they arrive: a commit every --batch-size lines, "
            + "and whenever input pauses for --flush-ms, so a follower sees piped events within a second. A bad line stops it with its line number; "
            + "what was committed before it stays. Prints each outcome: appended (with offset), duplicate or conflict.\n\n"
            + "Examples:\n  agentledger append --run r1 --turn 0 --kind agent.spoke --actor fox --payload '{\"text\":\"hi\"}' --model-id openai/gpt-4o-mini\n"
            + "  some-agent | agentledger append --batch-size 1")
        {
            Run, Turn, Kind, Actor, Payload, Session, ModelId, ModelProfile, Id, BatchSize, FlushMs,
        };
        CommandAction.Set(command, async (context, cancellationToken) =>
        {
            if (context.Get(Kind) is null && context.Get(Run) is null && Console.IsInputRedirected)
            {
                return await AppendLinesAsync(context, cancellationToken);
            }

            var e = new LedgerEvent(
                runId: context.Get(Run) ?? throw new UsageException("--run is required (or pipe JSON lines on standard input)"),
                turn: context.Get(Turn),
                kind: context.Get(Kind) ?? throw new UsageException("--kind is required"),
                actor: context.Get(Actor) ?? throw new UsageException("--actor is required"),
                payload: context.Get(Payload)!,
                id: context.Get(Id),
                sessionId: context.Get(Session),
                modelProfile: context.Get(ModelProfile),
                modelId: context.Get(ModelId));
            await using var ledger = await context.OpenForWritingAsync(cancellationToken);
            Print(context, await ledger.AppendAsync(e, cancellationToken));
            return Cli.Ok;
        });
        return command;
    }

    /// <summary>Commits lines as they arrive: a batch when it is full, or when input pauses.</summary>
    private static async Task<int> AppendLinesAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var batchSize = context.Get(BatchSize);
        var flushAfter = TimeSpan.FromMilliseconds(context.Get(FlushMs));
        if (batchSize < 1 || flushAfter <= TimeSpan.Zero)
        {
            throw new UsageException("--batch-size and --flush-ms must be 1 or more");
        }

        await using var ledger = await context.OpenForWritingAsync(cancellationToken);
        var tally = new AppendTally();
        var batch = new List<LedgerEvent>(Math.Min(batchSize, 1024));
        async Task FlushAsync()
        {
            if (batch.Count == 0)
            {
                return;
            }

            var results = await ledger.AppendBatchAsync(batch, cancellationToken);
            tally.Add(results);
            foreach (var result in results)
            {
                Print(context, result);
            }

            await Console.Out.FlushAsync(cancellationToken);
            batch.Clear();
        }

        // Standard input as a stream (Console.In would block a thread per read, and no pause could be noticed).
        // The reads have their own token: a failed commit stops the pending read before the reader is disposed.
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await using var input = Console.OpenStandardInput();
        var lines = JsonlTrace.ReadAsync(input, reading.Token).GetAsyncEnumerator(reading.Token);
        var next = lines.MoveNextAsync().AsTask();
        try
        {
            // A batch is committed at most --flush-ms after its first line arrived, however steadily lines trickle in.
            var deadline = Task.CompletedTask;
            while (true)
            {
                if (batch.Count > 0 && await Task.WhenAny(next, deadline) != next)
                {
                    await FlushAsync();
                    continue;
                }

                bool more;
                try
                {
                    more = await next;
                }
                catch (JsonlFormatException ex)
                {
                    await FlushAsync();
                    await Console.Error.WriteLineAsync(
                        $"error: {ex.Message}; stopped there: {tally.Appended} appended, {tally.Duplicates} duplicates, {tally.Conflicts} conflicts committed before it stay");
                    return Cli.RuntimeError;
                }

                if (!more)
                {
                    break;
                }

                if (batch.Count == 0)
                {
                    deadline = Task.Delay(flushAfter, cancellationToken);
                }

                batch.Add(lines.Current.Event);
                if (batch.Count >= batchSize)
                {
                    await FlushAsync();
                }

                next = lines.MoveNextAsync().AsTask();
            }
        }
        finally
        {
            await reading.CancelAsync();
            await ((Task)next).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await lines.DisposeAsync();
        }

        await FlushAsync();
        return Cli.Ok; // a conflict is an outcome, printed like the others, not a failure of the command
    }

    private static void Print(CommandContext context, AppendResult result)
    {
        if (context.Json)
        {
            Render.WriteJson(new { id = result.Id, outcome = result.Outcome.ToString().ToLowerInvariant(), offset = result.Offset });
        }
        else
        {
            context.Out.WriteLine(Render.Visible(result.ToString()));
        }
    }
}
