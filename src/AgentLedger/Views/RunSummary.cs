using System.Text.Json;

namespace AgentLedger;

/// <summary>
/// One run folded from its events: the bookends <c>run.started</c> and <c>run.finished</c> give the
/// story; every event counts. A run without <c>run.finished</c> is still running.
/// </summary>
public sealed record RunSummary
{
    public required string RunId { get; init; }

    public string? Scenario { get; init; }

    public string? Seed { get; init; }

    public string? Goal { get; init; }

    public string? SessionId { get; init; }

    /// <summary>Agent name → model (the cast's <c>model_endpoint</c>, else its <c>model_profile</c>).</summary>
    public IReadOnlyDictionary<string, string?> Cast { get; init; } = new Dictionary<string, string?>();

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary><c>verdict</c>, <c>budget</c>, <c>tick_cap</c> or <c>user_stop</c>.</summary>
    public string? Reason { get; init; }

    public string? Winner { get; init; }

    public string? WinnerKind { get; init; }

    public string? WinningModel { get; init; }

    public IReadOnlyList<string> WinningModels { get; init; } = [];

    /// <summary>Turns: from <c>run.finished</c>, else the highest turn seen plus one.</summary>
    public int Turns { get; init; }

    /// <summary>Tokens: <c>tokens</c> of <c>run.finished</c>, else the sum of the events' <see cref="TokenUsage"/>.</summary>
    public long Tokens { get; init; }

    public long EventCount { get; init; }

    /// <summary>The distinct <c>model_id</c>s of the run's events, in order of first use.</summary>
    public IReadOnlyList<string> ModelsUsed { get; init; } = [];

    public long FirstOffset { get; init; }

    public long LastOffset { get; init; }

    public bool IsFinished => FinishedAt is not null;

    public string Status => IsFinished ? "finished" : "running";

    // Folding state that the final summary does not show.
    private long UsageTokens { get; init; }

    private int? FinishedTurns { get; init; }

    private long? FinishedTokens { get; init; }

    private int MaxTurn { get; init; } = -1;

    /// <summary>The seed of the fold: a run with no events seen yet.</summary>
    public static RunSummary Empty(string runId) => new() { RunId = runId };

    /// <summary>One step of the fold: pure, switches on the kind.</summary>
    public RunSummary Apply(StoredEvent stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var e = stored.Event;
        var next = this with
        {
            EventCount = EventCount + 1,
            FirstOffset = FirstOffset == 0 ? stored.Offset : FirstOffset,
            LastOffset = stored.Offset,
            MaxTurn = Math.Max(MaxTurn, e.Turn),
            UsageTokens = UsageTokens + TokenUsage.Of(e),
            SessionId = SessionId ?? e.SessionId,
            ModelsUsed = e.ModelId is null || ModelsUsed.Contains(e.ModelId) ? ModelsUsed : [.. ModelsUsed, e.ModelId],
        };
        var p = e.PayloadElement;
        next = e.Kind switch
        {
            "run.started" => next with
            {
                Scenario = Text(p, "scenario") ?? Scenario,
                Seed = Text(p, "seed") ?? Seed,
                Goal = Text(p, "goal") ?? Goal,
                SessionId = LedgerEvent.NormalizeSessionId(Text(p, "session_id")) ?? next.SessionId,
                Cast = ReadCast(p) ?? Cast,
                StartedAt = StartedAt ?? e.CreatedAt,
            },
            "run.finished" => next with
            {
                Reason = Text(p, "reason"),
                Winner = Text(p, "winner"),
                WinnerKind = Text(p, "winner_kind"),
                WinningModel = Text(p, "winning_model"),
                WinningModels = p.TryGetProperty("winning_models", out var models) && models.ValueKind == JsonValueKind.Array
                    ? [.. models.EnumerateArray().Select(m => m.ToString())]
                    : [],
                FinishedTurns = Int(p, "turns"),
                FinishedTokens = Long(p, "tokens"),
                FinishedAt = e.CreatedAt,
            },
            _ => next,
        };
        return next with
        {
            Turns = next.FinishedTurns ?? next.MaxTurn + 1,
            Tokens = next.FinishedTokens ?? next.UsageTokens,
        };
    }

    /// <summary>Folds one run's events, read through the backend's (run_id, offset) index.</summary>
    public static async Task<RunSummary> SummarizeAsync(ILedgerReader ledger, string runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        var summary = Empty(runId);
        await foreach (var stored in ledger.ReadRunAsync(runId, cancellationToken).ConfigureAwait(false))
        {
            summary = summary.Apply(stored);
        }

        return summary;
    }

    private static Dictionary<string, string?>? ReadCast(JsonElement payload)
    {
        if (!payload.TryGetProperty("cast", out var cast) || cast.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var agent in cast.EnumerateObject())
        {
            result[agent.Name] = agent.Value.ValueKind == JsonValueKind.Object
                ? Text(agent.Value, "model_endpoint") ?? Text(agent.Value, "model_profile")
                : agent.Value.ValueKind == JsonValueKind.String ? agent.Value.GetString() : null;
        }

        return result;
    }

    internal static string? Text(JsonElement obj, string name)
        => obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Null or JsonValueKind.Undefined => null,
                _ => value.GetRawText(),
            }
            : null;

    private static int? Int(JsonElement obj, string name)
        => obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? n : null;

    private static long? Long(JsonElement obj, string name)
        => obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : null;
}
