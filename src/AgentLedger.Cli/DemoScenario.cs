using System.Text.Json.Nodes;

namespace AgentLedger.Cli;

/// <summary>
/// A small, realistic multi-agent run without any model or network: four agents on different models
/// hunt a missing lantern, a judge decides. The same seed gives the same run (ids included, so
/// recording it twice is a no-op).
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

    private static readonly string[] Places = ["the well", "the mill", "the old oak", "the clearing", "the bridge", "the barn"];
    private static readonly string[] Clues = ["muddy footprints", "a scrap of red cloth", "spilled lamp oil", "a bent nail", "an owl feather", "scorch marks"];
    private static readonly string[] Moods = ["suspects", "doubts", "is sure", "wonders whether", "proposes that"];

    /// <summary>The run's events, one batch per turn (the last batch holds the verdict and the bookend).</summary>
    public static List<List<LedgerEvent>> Build(int seed, int runNumber, string? session)
    {
        // Not HashCode.Combine: it is seeded per process, and the same seed must give the same run in every process.
        var rng = new Random(unchecked((seed * 1_000_003) + runNumber) & int.MaxValue);
        var runId = $"demo-{seed}-{runNumber}";
        var turns = rng.Next(3, 6);
        var start = DateTimeOffset.UtcNow;
        var n = 0;
        LedgerEvent Event(int turn, string kind, string actor, JsonObject payload, string? profile = null, string? model = null)
            => new(runId, turn, kind, actor, payload, id: $"{runId}-{n++:D3}", createdAt: start.AddMilliseconds(n * 137),
                sessionId: session, modelProfile: profile, modelId: model);

        var castJson = new JsonObject();
        foreach (var (agent, profile, model) in Cast)
        {
            castJson[agent] = new JsonObject { ["model_endpoint"] = model, ["model_profile"] = profile };
        }

        castJson["judge"] = new JsonObject { ["model_endpoint"] = JudgeModel, ["model_profile"] = "judge" };
        var batches = new List<List<LedgerEvent>>
        {
            new()
            {
                Event(0, "run.started", "engine", new JsonObject
                {
                    ["scenario"] = Name,
                    ["seed"] = seed,
                    ["goal"] = "find who took the lantern from the lighthouse",
                    ["cast"] = castJson,
                    ["session_id"] = session,
                }),
            },
        };

        long tokens = 0;
        var scores = Cast.ToDictionary(c => c.Agent, _ => 0);
        for (var turn = 1; turn <= turns; turn++)
        {
            var batch = new List<LedgerEvent>();
            var place = Places[rng.Next(Places.Length)];
            var clue = Clues[rng.Next(Clues.Length)];
            batch.Add(Event(turn, "world.observed", "world", new JsonObject { ["text"] = $"Near {place}: {clue}.", ["place"] = place, ["clue"] = clue }));
            foreach (var (agent, profile, model) in Cast)
            {
                var (thinkIn, thinkOut) = (rng.Next(300, 900), rng.Next(40, 160));
                var (speakIn, speakOut) = (rng.Next(400, 1200), rng.Next(30, 120));
                tokens += thinkIn + thinkOut + speakIn + speakOut;
                var suspect = Cast[rng.Next(Cast.Length)].Agent;
                scores[agent] += rng.Next(0, 4);
                batch.Add(Event(turn, "agent.thought", agent, new JsonObject
                {
                    ["text"] = $"{Capitalize(clue)} near {place}... {agent} {Moods[rng.Next(Moods.Length)]} {suspect} was there.",
                    ["usage"] = Usage(thinkIn, thinkOut),
                }, profile, model));
                batch.Add(Event(turn, "agent.spoke", agent, new JsonObject
                {
                    ["text"] = $"Let us look at {place} again: {clue} there points to {suspect}.",
                    ["usage"] = Usage(speakIn, speakOut),
                }, profile, model));
            }

            batches.Add(batch);
        }

        var winner = scores.OrderByDescending(s => s.Value).ThenBy(s => s.Key, StringComparer.Ordinal).First().Key;
        var winningModel = Cast.First(c => c.Agent == winner).Model;
        var (judgeIn, judgeOut) = (rng.Next(1500, 3000), rng.Next(80, 200));
        tokens += judgeIn + judgeOut;
        batches[^1].Add(Event(turns, "judge.verdict", "judge", new JsonObject
        {
            ["text"] = $"{winner} connected the clues first: the lantern was taken to light the mill at night.",
            ["winner"] = winner,
            ["scores"] = new JsonObject(scores.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)s.Value))),
            ["usage"] = Usage(judgeIn, judgeOut),
        }, "judge", JudgeModel));
        batches[^1].Add(Event(turns, "run.finished", "engine", new JsonObject
        {
            ["reason"] = "verdict",
            ["winner"] = winner,
            ["winner_kind"] = "agent",
            ["winning_model"] = winningModel,
            ["winning_models"] = new JsonArray(winningModel),
            ["turns"] = turns,
            ["tokens"] = tokens,
        }));
        return batches;
    }

    private static string Capitalize(string text) => string.Concat(text[..1].ToUpperInvariant(), text.AsSpan(1));

    private static JsonObject Usage(int input, int output) => new() { ["input_tokens"] = input, ["output_tokens"] = output };
}
