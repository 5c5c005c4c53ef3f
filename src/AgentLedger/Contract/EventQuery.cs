namespace AgentLedger;

/// <summary>
/// Which events to read: those after an offset, optionally up to one, filtered by any of the fields
/// (all given filters must match), at most <see cref="Limit"/> of them. Checked when it is built: a
/// negative offset or limit is an <see cref="ArgumentOutOfRangeException"/> right there.
/// </summary>
public sealed record EventQuery
{
    private readonly long _after;
    private readonly long? _upTo;
    private readonly int? _limit;

    /// <summary>Everything, from the start.</summary>
    public static EventQuery All { get; } = new();

    /// <summary>Only events with an offset greater than this (0: from the start).</summary>
    public long After
    {
        get => _after;
        init => _after = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(After), value, "offsets start at 1; After must be 0 or more");
    }

    /// <summary>Only events with an offset at most this (null: to the end).</summary>
    public long? UpTo
    {
        get => _upTo;
        init => _upTo = value is null or >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(UpTo), value, "UpTo must be 0 or more");
    }

    public string? RunId { get; init; }

    public string? Kind { get; init; }

    public string? Actor { get; init; }

    public string? SessionId { get; init; }

    public string? ModelId { get; init; }

    public string? ModelProfile { get; init; }

    /// <summary>At most this many events (null: no limit).</summary>
    public int? Limit
    {
        get => _limit;
        init => _limit = value is null or >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(Limit), value, "Limit must be 0 or more");
    }

    /// <summary>The last <paramref name="count"/> events (read them with <see cref="ILedgerReader.ReadBackwardAsync"/>).</summary>
    public static EventQuery Last(int count) => new() { Limit = count };

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
}
