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

    /// <summary>Asserts every envelope field of two events is equal, payload text included.</summary>
    public static void AssertSameEvent(LedgerEvent expected, LedgerEvent actual)
    {
        Xunit.Assert.Equal(expected.Id, actual.Id);
        Xunit.Assert.Equal(expected.RunId, actual.RunId);
        Xunit.Assert.Equal(expected.Turn, actual.Turn);
        Xunit.Assert.Equal(expected.Kind, actual.Kind);
        Xunit.Assert.Equal(expected.Actor, actual.Actor);
        Xunit.Assert.Equal(expected.Payload, actual.Payload);
        Xunit.Assert.Equal(expected.CreatedAt, actual.CreatedAt);
        Xunit.Assert.Equal(TimeSpan.Zero, actual.CreatedAt.Offset);
        Xunit.Assert.Equal(expected.SchemaVersion, actual.SchemaVersion);
        Xunit.Assert.Equal(expected.SessionId, actual.SessionId);
        Xunit.Assert.Equal(expected.ModelProfile, actual.ModelProfile);
        Xunit.Assert.Equal(expected.ModelId, actual.ModelId);
    }
}
