namespace AgentLedger;

/// <summary>What an append did with one event.</summary>
public enum AppendOutcome
{
    /// <summary>The event was stored; <see cref="AppendResult.Offset"/> is its new offset.</summary>
    Appended,

    /// <summary>An identical event with this id was already stored; nothing changed.</summary>
    Duplicate,

    /// <summary>A different event with this id was already stored; it stands, nothing was overwritten.</summary>
    Conflict,
}

/// <summary>The outcome of appending one event, with the offset the id is stored at.</summary>
public readonly record struct AppendResult(string Id, AppendOutcome Outcome, long Offset)
{
    public bool IsAppended => Outcome == AppendOutcome.Appended;

    public override string ToString() => $"{Outcome.ToString().ToLowerInvariant()} {Id} @{Offset}";
}

/// <summary>Running totals of append outcomes, for tools that append many events.</summary>
public sealed class AppendTally
{
    public long Appended { get; private set; }

    public long Duplicates { get; private set; }

    public long Conflicts { get; private set; }

    public long Total => Appended + Duplicates + Conflicts;

    /// <summary>Counts one outcome: the one place outcomes are tallied.</summary>
    public void Add(AppendResult result)
    {
        switch (result.Outcome)
        {
            case AppendOutcome.Appended:
                Appended++;
                break;
            case AppendOutcome.Duplicate:
                Duplicates++;
                break;
            default:
                Conflicts++;
                break;
        }
    }

    public void Add(IEnumerable<AppendResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        foreach (var result in results)
        {
            Add(result);
        }
    }

    public void Add(ReadOnlySpan<AppendResult> results)
    {
        foreach (var result in results)
        {
            Add(result);
        }
    }

    /// <summary>The totals as an import's result.</summary>
    public ImportResult ToImportResult() => new(Appended, Duplicates, Conflicts);
}
