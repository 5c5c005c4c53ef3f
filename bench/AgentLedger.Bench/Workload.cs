namespace AgentLedger.Bench;

/// <summary>The envelope and data of the benchmark workload (shared/WORKLOAD.md), generated deterministically.</summary>
internal sealed class Workload(int runs, int turnsPerRun)
{
    private const string BaseText =
        "The fox observes the clearing; the owl disagrees and proposes a new hypothesis "
        + "about the missing lantern, citing clue three and the footprints near the well.";

    private static readonly string[] Kinds = ["agent.spoke", "agent.thought", "world.observed", "judge.verdict"];
    private static readonly string[] Actors = ["alice", "bob", "carol", "dave", "judge"];
    private static readonly string[] Models = ["openai/gpt-4o-mini", "google/gemma-3-12b", "openbmb/MiniCPM4.1-8B"];

    public int Runs { get; } = runs;

    public int TurnsPerRun { get; } = turnsPerRun;

    public int Count => Runs * TurnsPerRun;

    /// <summary>The payload text, padded or cut to exactly 160 characters.</summary>
    public static string Text { get; } = BaseText.PadRight(160)[..160];

    /// <summary>Event i (run i / T, turn i % T). Ids are UUID4-shaped but derived from i, so another process can rebuild the same event.</summary>
    public static LedgerEvent Event(int i, int turnsPerRun, string idSpace = "w")
    {
        var r = i / turnsPerRun;
        return new LedgerEvent(
            runId: $"run-{r:D4}",
            turn: i % turnsPerRun,
            kind: Kinds[i % Kinds.Length],
            actor: Actors[i % Actors.Length],
            payload: $$"""{"text":"{{Text}}","n":{{i}},"tokens":42}""",
            id: Id(idSpace, i),
            createdAt: DateTimeOffset.UtcNow,
            sessionId: $"sess-{r % 50:D3}",
            modelProfile: "fast",
            modelId: Models[i % Models.Length]);
    }

    public LedgerEvent Event(int i) => Event(i, TurnsPerRun);

    public IEnumerable<LedgerEvent> All() => Enumerable.Range(0, Count).Select(Event);

    public static string Id(string space, int i)
    {
        Span<byte> bytes = stackalloc byte[16];
        new Random(HashSeed(space, i)).NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40); // version 4
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes).ToString();
    }

    private static int HashSeed(string space, int i)
    {
        var h = 17;
        foreach (var c in space)
        {
            h = unchecked((h * 31) + c);
        }

        return unchecked((h * 1_000_003) + i) & int.MaxValue;
    }
}
