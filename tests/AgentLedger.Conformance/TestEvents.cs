using System.Reflection;

namespace AgentLedger.Conformance;

/// <summary>Events for tests: every field set to something recognisable.</summary>
public static class TestEvents
{
    public static readonly DateTimeOffset Time = new(2026, 6, 7, 10, 11, 12, TimeSpan.Zero);

    public static LedgerEvent Make(
        string run = "run-1",
        int turn = 0,
        string kind = "agent.spoke",
        string actor = "alice",
        string? payload = null,
        string? id = null,
        string? session = "sess-1",
        string? modelProfile = "fast",
        string? modelId = "openai/gpt-4o-mini",
        DateTimeOffset? createdAt = null)
        => new(
            runId: run,
            turn: turn,
            kind: kind,
            actor: actor,
            payload: payload ?? $$"""{"text":"turn {{turn}} of {{run}}","n":{{turn}}}""",
            id: id,
            createdAt: createdAt ?? Time.AddTicks(turn * 10),
            sessionId: session,
            modelProfile: modelProfile,
            modelId: modelId);

    /// <summary>
    /// Asserts every public property of two events is equal, payload text included: found by reflection,
    /// so a field added to the envelope is compared (and must round-trip) without touching this method.
    /// </summary>
    public static void AssertSameEvent(LedgerEvent expected, LedgerEvent actual)
    {
        foreach (var property in EnvelopeProperties)
        {
            var (want, got) = (property.GetValue(expected), property.GetValue(actual));
            Xunit.Assert.True(Equals(want, got), $"{property.Name}: expected '{want}', got '{got}'");
        }

        Xunit.Assert.Equal(TimeSpan.Zero, actual.CreatedAt.Offset);
    }

    /// <summary>The envelope's public properties; <see cref="LedgerEvent.PayloadElement"/> is <see cref="LedgerEvent.Payload"/> parsed.</summary>
    public static IReadOnlyList<PropertyInfo> EnvelopeProperties { get; } =
        [.. typeof(LedgerEvent).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.Name != nameof(LedgerEvent.PayloadElement))];

    /// <summary>An event whose every optional field is set to something other than its default.</summary>
    public static LedgerEvent EveryFieldSet(string id = "every-field") => new(
        runId: "run-every", turn: 7, kind: "model.responded", actor: "fox",
        payload: """{"text":"é ☃ \u0041","big":123456789012345678901234567890,"nested":{"a":[1,2.50,null,true]}}""",
        id: id, createdAt: new DateTimeOffset(2026, 6, 7, 10, 11, 12, TimeSpan.Zero).AddTicks(1234560),
        schemaVersion: 3, sessionId: "sess-every", modelProfile: "deep", modelId: "anthropic/claude-sonnet");

    /// <summary>Events as an async stream, for import and restore.</summary>
    public static async IAsyncEnumerable<T> Stream<T>(params T[] items)
    {
        foreach (var item in items)
        {
            yield return item;
        }

        await Task.CompletedTask;
    }
}
