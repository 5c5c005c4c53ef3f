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
