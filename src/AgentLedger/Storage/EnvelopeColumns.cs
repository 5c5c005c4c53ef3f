namespace AgentLedger.Storage;

/// <summary>
/// The stored columns of an event, in the one order every backend selects, binds and reads them: the
/// reference's column names, the offset first. SQL text, parameters and row readers are all derived
/// from this list, so a column cannot be added in one place and forgotten in another.
/// </summary>
public static class EnvelopeColumns
{
    public const int Offset = 0;
    public const int Id = 1;
    public const int RunId = 2;
    public const int Turn = 3;
    public const int Kind = 4;
    public const int Actor = 5;
    public const int Payload = 6;
    public const int CreatedAt = 7;
    public const int SchemaVersion = 8;
    public const int SessionId = 9;
    public const int ModelProfile = 10;
    public const int ModelId = 11;

    /// <summary>Every stored column; the index of a name is its ordinal above.</summary>
    public static IReadOnlyList<string> All { get; } =
        ["offset", "id", "run_id", "turn", "kind", "actor", "payload", "created_at", "schema_version", "session_id", "model_profile", "model_id"];

    /// <summary>The envelope's columns without the offset (what an append writes), in order.</summary>
    public static IReadOnlyList<string> Envelope { get; } = [.. All.Skip(1)];

    /// <summary>Columns the reference added after its first release: older tables lack them and read them as null.</summary>
    public static IReadOnlyList<string> Later { get; } = ["session_id", "model_profile", "model_id"];

    /// <summary>Columns that are indexed and so have a bounded length (see <see cref="LedgerEvent.MaxIndexedLength"/>).</summary>
    public static IReadOnlyList<string> Indexed { get; } = ["run_id", "kind", "actor", "session_id", "model_id"];

    /// <summary>
    /// The filters of <paramref name="query"/> by column, in one fixed order (backends number their
    /// parameters in it); a null value is a filter not given.
    /// </summary>
    public static (string Column, string? Value)[] Filters(EventQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return
        [
            ("run_id", query.RunId),
            ("kind", query.Kind),
            ("actor", query.Actor),
            ("session_id", query.SessionId),
            ("model_id", query.ModelId),
            ("model_profile", query.ModelProfile),
        ];
    }

    /// <summary>A comma-separated list of <paramref name="columns"/>, each passed through <paramref name="quote"/>.</summary>
    public static string List(IEnumerable<string> columns, Func<string, string> quote)
        => string.Join(", ", columns.Select(quote));

    /// <summary>The value an append stores in <paramref name="column"/> (an ordinal of <see cref="All"/> but the offset).</summary>
    public static object? ValueOf(LedgerEvent e, int column)
    {
        ArgumentNullException.ThrowIfNull(e);
        return column switch
        {
            Id => e.Id,
            RunId => e.RunId,
            Turn => e.Turn,
            Kind => e.Kind,
            Actor => e.Actor,
            Payload => e.Payload,
            CreatedAt => e.CreatedAt,
            SchemaVersion => e.SchemaVersion,
            SessionId => e.SessionId,
            ModelProfile => e.ModelProfile,
            ModelId => e.ModelId,
            _ => throw new ArgumentOutOfRangeException(nameof(column), column, "not an envelope column"),
        };
    }
}
