using System.Text.Json;

namespace AgentLedger.Server.Tests;

/// <summary>Small runs with known actors, models and tokens.</summary>
public static class TestData
{
    public static LedgerEvent Spoke(string run, int turn, string actor, string model, int input, int output, string? text = null, string? id = null)
        => new(run, turn, "agent.spoke", actor,
            JsonSerializer.Serialize(new { text = text ?? $"{actor} speaks in turn {turn}", usage = new { input_tokens = input, output_tokens = output } }),
            id: id, modelProfile: "fast", modelId: model);

    public static LedgerEvent Started(string run, params string[] actors)
        => new(run, 0, "run.started", "engine",
            JsonSerializer.Serialize(new { scenario = "test-scenario", goal = "find the lantern", cast = actors.ToDictionary(a => a, a => new { model_endpoint = $"model/{a}" }) }),
            id: $"{run}-start");

    public static LedgerEvent Finished(string run, int turns, long tokens)
        => new(run, turns, "run.finished", "engine", JsonSerializer.Serialize(new { reason = "verdict", winner = "fox", turns, tokens }), id: $"{run}-end");

    /// <summary>A finished run of two actors, two turns: 6 events, 4 spoken, tokens 10+1, 20+2, 30+3, 40+4.</summary>
    public static IReadOnlyList<LedgerEvent> Run(string run) =>
    [
        Started(run, "fox", "owl"),
        Spoke(run, 0, "fox", "model/fox", 10, 1),
        Spoke(run, 0, "owl", "model/owl", 20, 2),
        Spoke(run, 1, "fox", "model/fox", 30, 3),
        Spoke(run, 1, "owl", "model/owl", 40, 4),
        Finished(run, 2, 110),
    ];

    public static string Line(LedgerEvent e) => JsonlTrace.Write(new StoredEvent(1, e)).Replace("\"offset\":1,", "", StringComparison.Ordinal);
}
