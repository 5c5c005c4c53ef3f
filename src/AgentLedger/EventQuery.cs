namespace AgentLedger;

/// <summary>
/// Which events to read: those after an offset, optionally up to one, filtered by any of the fields
/// (all given filters must match), at most <see cref="Limit"/> of them. Always in offset order.
/// </summary>
public sealed record EventQuery
{
    /// <summary>Everything, from the start.</summary>
    public static EventQuery All { get; } = new();

    /// <summary>Only events with an offset greater than this (0: from the start).</summary>
    public long After { get; init; }

    /// <summary>Only events with an offset at most this (null: to the end).</summary>
    public long? UpTo { get; init; }

    public string? RunId { get; init; }

    public string? Kind { get; init; }

    public string? Actor { get; init; }

    public string? SessionId { get; init; }

    public string? ModelId { get; init; }

    public string? ModelProfile { get; init; }

    /// <summary>At most this many events (null: no limit).</summary>
    public int? Limit { get; init; }

    /// <summary>Whether <paramref name="stored"/> satisfies every bound and filter but the limit.</summary>
    public bool Matches(StoredEvent stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var e = stored.Event;
        return stored.Offset > After
            && (UpTo is null || stored.Offset <= UpTo)
            && (RunId is null || RunId == e.RunId)
            && (Kind is null || Kind == e.Kind)
            && (Actor is null || Actor == e.Actor)
            && (SessionId is null || SessionId == e.SessionId)
            && (ModelId is null || ModelId == e.ModelId)
            && (ModelProfile is null || ModelProfile == e.ModelProfile);
    }

    internal void Validate()
    {
        if (After < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(After), After, "offsets start at 1; After must be 0 or more");
        }

        if (Limit < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Limit), Limit, "Limit must be 0 or more");
        }
    }
}
