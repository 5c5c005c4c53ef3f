namespace AgentLedger;

/// <summary>One run in a listing: its id, and the offset of its first event (the cursor of the next page).</summary>
public readonly record struct RunEntry(string RunId, long FirstOffset);

/// <summary>
/// A page of the run listing, in the order of each run's first event: the runs whose first event is after
/// <see cref="After"/> (oldest first) or, with <see cref="NewestFirst"/>, before <see cref="Before"/>. A page
/// costs what its size costs, however many runs the ledger holds; the next page starts at the last entry's
/// <see cref="RunEntry.FirstOffset"/>.
/// </summary>
public sealed record RunListQuery
{
    private readonly long _after;
    private readonly long? _before;
    private readonly int _limit = 100;

    /// <summary>Oldest first: only runs whose first event's offset is greater than this (0: from the start).</summary>
    public long After
    {
        get => _after;
        init => _after = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(After), value, "must not be negative");
    }

    /// <summary>Newest first: only runs whose first event's offset is less than this (null: from the newest).</summary>
    public long? Before
    {
        get => _before;
        init => _before = value is null or > 0 ? value : throw new ArgumentOutOfRangeException(nameof(Before), value, "must be positive");
    }

    /// <summary>At most this many runs (1 to 10,000; 100 by default).</summary>
    public int Limit
    {
        get => _limit;
        init => _limit = value is >= 1 and <= 10_000 ? value : throw new ArgumentOutOfRangeException(nameof(Limit), value, "must be between 1 and 10,000");
    }

    /// <summary>Newest runs first (by their first event), paging with <see cref="Before"/>.</summary>
    public bool NewestFirst { get; init; }
}
