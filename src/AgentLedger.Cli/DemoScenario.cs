using System.Text.Json.Nodes;
using AgentLedger.Extensions.AI;
using Microsoft.Extensions.AI;

namespace AgentLedger.Cli;

/// <summary>
/// A small, realistic multi-agent run without any network: four agents on different models hunt a missing
/// lantern, a judge decides. Every agent talks to its model through an <see cref="IChatClient"/> pipeline with
/// <c>UseAgentLedger</c>, exactly as a user's agents would; the models are <see cref="OfflineChatClient"/>s that
/// write the scenario's lines. The same seed gives the same run (ids, answers, usage and simulated latencies),
/// so recording it twice is a no-op.
/// </summary>
internal static class DemoScenario
{
    public const string Name = "lantern-mystery";

    private static readonly (string Agent, string Profile, string Model)[] Cast =
    [
        ("fox", "fast", "openai/gpt-4o-mini"),
        ("owl", "deep", "google/gemma-3-12b"),
        ("badger", "small", "openbmb/MiniCPM4.1-8B"),
        ("heron", "fast", "mistralai/mistral-small-3.2"),
    ];

    private const string JudgeModel = "anthropic/claude-haiku-4.5";
    private const string Goal = "find who took the lantern from the lighthouse";

    private static readonly string[] Places = ["the well", "the mill", "the old oak", "the clearing", "the bridge", "the barn"];
    private static readonly string[] Clues = ["muddy footprints", "a scrap of red cloth", "spilled lamp oil", "a bent nail", "an owl feather", "scorch marks"];
    private static readonly string[] Moods = ["suspects", "doubts", "is sure", "wonders whether", "proposes that"];

    public static string RunId(int seed, int runNumber) => $"demo-{seed}-{runNumber}";

    /// <summary>Records run <paramref name="runNumber"/> of <paramref name="seed"/> through the middleware; returns its id.</summary>
    public static async Task<string> RecordAsync(ILedgerWriter ledger, int seed, int runNumber, string? session, CancellationToken cancellationToken)
    {
        // Not HashCode.Combine: it is seeded per process, and the same seed must give the same run in every process.
        var runSeed = unchecked((seed * 1_000_003) + runNumber) & int.MaxValue;
        var world = new Random(runSeed);
        var runId = RunId(seed, runNumber);
        var turns = world.Next(3, 6);
        var clock = new SimulatedClock(DateTimeOffset.UtcNow);
        var scene = new Scene();
        var agents = Cast.Select((c, i) => (c.Agent, c.Profile, c.Model, Client: Pipeline(ledger, clock, new OfflineChatClient(c.Model, AgentVoice(c.Agent, scene, new Random(runSeed + i + 1)), runSeed + i + 1, clock)))).ToList();
        using var judge = Pipeline(ledger, clock, new OfflineChatClient(JudgeModel, JudgeVoice, runSeed + 99, clock));

        await using var run = await ledger.BeginRunAsync(runId, new LedgerRunOptions
        {
            SessionId = session,
            TimeProvider = clock,
            Details = new JsonObject { ["scenario"] = Name, ["seed"] = seed, ["goal"] = Goal, ["cast"] = CastJson(), ["session_id"] = session },
        }, cancellationToken);

        var scores = Cast.ToDictionary(c => c.Agent, _ => 0);
        for (var turn = 1; turn <= turns; turn++)
        {
            scene.Place = Places[world.Next(Places.Length)];
            scene.Clue = Clues[world.Next(Clues.Length)];
            using (run.Turn(turn, actor: "world"))
            {
                await run.AppendAsync("world.observed", new JsonObject { ["text"] = $"Near {scene.Place}: {scene.Clue}.", ["place"] = scene.Place, ["clue"] = scene.Clue }, cancellationToken: cancellationToken);
            }

            foreach (var (agent, profile, model, client) in agents)
            {
                scores[agent] += world.Next(0, 4);
                using (run.Turn(turn, actor: agent, modelProfile: profile))
                {
                    List<ChatMessage> chat =
                    [
                        new(ChatRole.System, $"You are {agent}, one of four detectives. Goal: {Goal}."),
                        new(ChatRole.User, $"Turn {turn}. Near {scene.Place}: {scene.Clue}. Think: who was there?"),
                    ];
                    var thought = await client.GetResponseAsync(chat, cancellationToken: cancellationToken);
                    chat.AddRange(thought.Messages);
                    chat.Add(new ChatMessage(ChatRole.User, "Now tell the others what you think, in one sentence."));
                    var said = await client.GetResponseAsync(chat, cancellationToken: cancellationToken);
                    await run.AppendAsync("agent.spoke", new JsonObject { ["text"] = said.Text }, model, cancellationToken);
                }
            }
        }

        using (run.Turn(turns, actor: "judge", modelProfile: "judge"))
        {
            var board = string.Join("\n", scores.Select(s => $"{s.Key}: {s.Value}"));
            var verdict = await judge.GetResponseAsync(
                [new(ChatRole.System, "You are the judge. Name the detective who connected the clues first."), new(ChatRole.User, board)],
                cancellationToken: cancellationToken);
            var winner = verdict.Text.Split(' ')[0];
            await run.AppendAsync("judge.verdict", new JsonObject
            {
                ["text"] = verdict.Text,
                ["winner"] = winner,
                ["scores"] = new JsonObject(scores.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)s.Value))),
            }, JudgeModel, cancellationToken);
            var winningModel = Cast.First(c => c.Agent == winner).Model;
            await run.FinishAsync("completed", new JsonObject
            {
                ["reason"] = "verdict",
                ["winner"] = winner,
                ["winner_kind"] = "agent",
                ["winning_model"] = winningModel,
                ["winning_models"] = new JsonArray(winningModel),
                ["turns"] = turns,
            }, cancellationToken);
        }

        foreach (var agent in agents)
        {
            agent.Client.Dispose();
        }

        return runId;
    }

    private static IChatClient Pipeline(ILedgerWriter ledger, SimulatedClock clock, IChatClient model)
        => model.AsBuilder().UseAgentLedger(ledger, o => o.TimeProvider = clock).Build();

    /// <summary>What the agents' offline models can see of the world this turn.</summary>
    private sealed class Scene
    {
        public string Place { get; set; } = "";

        public string Clue { get; set; } = "";
    }

    // An agent's offline model: a thought on the first call of a turn, a sentence to the others on the second.
    private static Func<IReadOnlyList<ChatMessage>, string> AgentVoice(string agent, Scene scene, Random dice)
        => request =>
        {
            var suspect = Cast[dice.Next(Cast.Length)].Agent;
            return request[^1].Text.StartsWith("Now tell", StringComparison.Ordinal)
                ? $"Let us look at {scene.Place} again: {scene.Clue} there points to {suspect}."
                : $"{Capitalize(scene.Clue)} near {scene.Place}... {agent} {Moods[dice.Next(Moods.Length)]} {suspect} was there.";
        };

    // The judge's offline model reads the board ("fox: 5" lines) and names the best score (ties: by name).
    private static string JudgeVoice(IReadOnlyList<ChatMessage> request)
    {
        var winner = request[^1].Text.Split('\n')
            .Select(line => line.Split(": "))
            .OrderByDescending(p => int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture)).ThenBy(p => p[0], StringComparer.Ordinal)
            .First()[0];
        return $"{winner} connected the clues first: the lantern was taken to light the mill at night.";
    }

    private static JsonObject CastJson()
    {
        var cast = new JsonObject();
        foreach (var (agent, profile, model) in Cast)
        {
            cast[agent] = new JsonObject { ["model_endpoint"] = model, ["model_profile"] = profile };
        }

        cast["judge"] = new JsonObject { ["model_endpoint"] = JudgeModel, ["model_profile"] = "judge" };
        return cast;
    }

    private static string Capitalize(string text) => string.Concat(text[..1].ToUpperInvariant(), text.AsSpan(1));
}
