using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AgentLedger.Storage;

namespace AgentLedger;

/// <summary>
/// One thing that happened in a run: the flat, immutable envelope every backend stores.
/// Every field is validated here, when the event is built, so no backend can skip a rule.
/// </summary>
public sealed partial class LedgerEvent
{
    /// <summary>The rule every <see cref="Kind"/> must match: dot-namespaced lower-case words.</summary>
    public const string KindPattern = @"^[a-z][a-z0-9]*(\.[a-z][a-z0-9]*)+\z";

    /// <summary>The rule a <see cref="SessionId"/> must match after trimming; anything else becomes null.</summary>
    public const string SessionIdPattern = @"^[A-Za-z0-9._-]{1,64}\z";

    /// <summary>The longest id a store accepts (the reference's <c>varchar(64)</c>).</summary>
    public const int MaxIdLength = 64;

    /// <summary>
    /// The longest <c>run_id</c>, <c>kind</c>, <c>actor</c>, <c>model_profile</c> or <c>model_id</c>: these are
    /// indexed, and every backend must give the same answer (PostgreSQL's index refuses entries over ~2,700 bytes).
    /// </summary>
    public const int MaxIndexedLength = 512;

    private JsonElement? _payloadElement;

    /// <summary>Builds and validates an event whose payload is JSON object text.</summary>
    /// <exception cref="InvalidEventException">A field breaks its rule.</exception>
    public LedgerEvent(
        string runId,
        int turn,
        string kind,
        string actor,
        string payload,
        string? id = null,
        DateTimeOffset? createdAt = null,
        int schemaVersion = 1,
        string? sessionId = null,
        string? modelProfile = null,
        string? modelId = null)
    {
        Id = id is null ? Guid.NewGuid().ToString() : Checked(ValidateId(id), "id");
        RunId = Checked(RequireText(runId, "run_id"), "run_id");
        Turn = turn >= 0 ? turn : throw new InvalidEventException("turn", "≥ 0", $"must be 0 or more, got {turn}");
        Kind = Checked(ValidateKind(kind), "kind");
        Actor = Checked(RequireText(actor, "actor"), "actor");
        Payload = PayloadJson.Validate(payload);
        CreatedAt = Timestamps.ToStoredPrecision(createdAt ?? DateTimeOffset.UtcNow);
        SchemaVersion = schemaVersion >= 1
            ? schemaVersion
            : throw new InvalidEventException("schema_version", "≥ 1", $"must be 1 or more, got {schemaVersion}");
        SessionId = NormalizeSessionId(sessionId);
        ModelProfile = Checked(Optional(modelProfile), "model_profile");
        ModelId = Checked(Optional(modelId), "model_id");
    }

    /// <summary>Builds and validates an event from a payload object.</summary>
    public LedgerEvent(
        string runId,
        int turn,
        string kind,
        string actor,
        JsonObject payload,
        string? id = null,
        DateTimeOffset? createdAt = null,
        int schemaVersion = 1,
        string? sessionId = null,
        string? modelProfile = null,
        string? modelId = null)
        : this(runId, turn, kind, actor, PayloadJson.Serialize(payload), id, createdAt, schemaVersion, sessionId, modelProfile, modelId)
    {
    }

    // Rows read back from a store were validated when written (or by the reference system):
    // re-validating millions of rows on every read would cost more than the read itself.
    private LedgerEvent(
        string id, string runId, int turn, string kind, string actor, string payload,
        DateTimeOffset createdAt, int schemaVersion, string? sessionId, string? modelProfile, string? modelId)
    {
        Id = id;
        RunId = runId;
        Turn = turn;
        Kind = kind;
        Actor = actor;
        Payload = payload;
        CreatedAt = createdAt;
        SchemaVersion = schemaVersion;
        SessionId = sessionId;
        ModelProfile = modelProfile;
        ModelId = modelId;
    }

    /// <summary>The idempotency key: appending an id that is already stored changes nothing.</summary>
    public string Id { get; }

    public string RunId { get; }

    public int Turn { get; }

    /// <summary>Dot-namespaced, e.g. <c>agent.spoke</c>; see <see cref="KindPattern"/>.</summary>
    public string Kind { get; }

    public string Actor { get; }

    /// <summary>The payload: JSON object text, kept exactly as given (numbers and unicode untouched).</summary>
    public string Payload { get; }

    /// <summary>When the event was created, in UTC, at microsecond precision.</summary>
    public DateTimeOffset CreatedAt { get; }

    public int SchemaVersion { get; }

    /// <summary>An optional session, already normalised: untrusted input that breaks <see cref="SessionIdPattern"/> is null.</summary>
    public string? SessionId { get; }

    /// <summary>The route key the agent asked for (e.g. <c>fast</c>).</summary>
    public string? ModelProfile { get; }

    /// <summary>The concrete model that actually ran (e.g. <c>openai/gpt-4o-mini</c>).</summary>
    public string? ModelId { get; }

    /// <summary>The payload parsed once, on first use.</summary>
    public JsonElement PayloadElement => _payloadElement ??= JsonElement.Parse(Payload);

    /// <summary>
    /// True when <paramref name="other"/> says the same thing: every field equal, the payload equal as JSON.
    /// <see cref="CreatedAt"/> is left out on purpose: a retry that rebuilt the event a moment later is a
    /// duplicate, not a conflict.
    /// </summary>
    public bool HasSameContentAs(LedgerEvent other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Id == other.Id
            && RunId == other.RunId
            && Turn == other.Turn
            && Kind == other.Kind
            && Actor == other.Actor
            && SchemaVersion == other.SchemaVersion
            && SessionId == other.SessionId
            && ModelProfile == other.ModelProfile
            && ModelId == other.ModelId
            && (Payload == other.Payload || SamePayloadJson(this, other));
    }

    // A foreign row may hold a payload that is not JSON: then only equal text is the same content.
    private static bool SamePayloadJson(LedgerEvent a, LedgerEvent b)
    {
        try
        {
            return JsonElement.DeepEquals(a.PayloadElement, b.PayloadElement);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public override string ToString() => $"{RunId}/{Turn} {Kind} by {Actor} ({Id})";

    /// <summary>Rebuilds an event from a stored row without re-validating it (backends only).</summary>
    internal static LedgerEvent FromStore(
        string id, string runId, int turn, string kind, string actor, string payload,
        DateTimeOffset createdAt, int schemaVersion, string? sessionId, string? modelProfile, string? modelId)
        => new(id, runId, turn, kind, actor, payload, createdAt, schemaVersion, sessionId, modelProfile, modelId);

    /// <summary>Normalises an untrusted session id: trimmed, and null unless it matches <see cref="SessionIdPattern"/>.</summary>
    public static string? NormalizeSessionId(string? sessionId)
    {
        if (sessionId is null)
        {
            return null;
        }

        var trimmed = sessionId.Trim();
        return SessionIdRegex().IsMatch(trimmed) ? trimmed : null;
    }

    /// <summary>True when <paramref name="kind"/> is a well-formed kind.</summary>
    public static bool IsValidKind(string? kind) => kind is not null && KindRegex().IsMatch(kind);

    private static string ValidateKind(string kind)
    {
        if (IsValidKind(kind))
        {
            return kind;
        }

        throw new InvalidEventException(
            "kind", KindPattern, $"'{kind}' is not dot-namespaced lower-case words such as 'agent.spoke' (rule {KindPattern})");
    }

    private static string ValidateId(string id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            throw new InvalidEventException("id", "non-empty", "must not be empty");
        }

        if (id.Length > MaxIdLength)
        {
            throw new InvalidEventException("id", $"at most {MaxIdLength} characters", $"is {id.Length} characters long; at most {MaxIdLength} are allowed");
        }

        return id;
    }

    private static string RequireText(string? value, string field)
        => string.IsNullOrWhiteSpace(value) ? throw new InvalidEventException(field, "non-empty", "must not be empty") : value;

    /// <summary>
    /// The rules every text field shares, so every backend gives the same answer: at most
    /// <see cref="MaxIndexedLength"/> characters, no NUL character (PostgreSQL cannot store one in text), and
    /// valid Unicode (a lone surrogate cannot be stored as UTF-8 without being replaced).
    /// </summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(value))]
    private static string? Checked(string? value, string field)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Length > MaxIndexedLength)
        {
            throw new InvalidEventException(field, $"at most {MaxIndexedLength} characters", $"is {value.Length} characters long; at most {MaxIndexedLength} are allowed");
        }

        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new InvalidEventException(field, "no NUL character", "contains a NUL character (U+0000), which no backend can store as text");
        }

        if (!IsValidUnicode(value))
        {
            throw new InvalidEventException(field, "valid Unicode", "contains a lone surrogate (invalid UTF-16), which cannot be stored as UTF-8");
        }

        return value;
    }

    /// <summary>True when <paramref name="text"/> has no unpaired surrogate.</summary>
    internal static bool IsValidUnicode(ReadOnlySpan<char> text)
    {
        // The common case (no surrogate at all) is one vectorised scan.
        var i = text.IndexOfAnyInRange('\uD800', '\uDFFF');
        while (i >= 0)
        {
            if (!char.IsHighSurrogate(text[i]) || i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
            {
                return false;
            }

            text = text[(i + 2)..];
            i = text.IndexOfAnyInRange('\uD800', '\uDFFF');
        }

        return true;
    }

    private static string? Optional(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    // \z, not $: in .NET `$` also matches before a final newline, and "agent.spoke\n" is not a kind.
    [GeneratedRegex(@"^[a-z][a-z0-9]*(\.[a-z][a-z0-9]*)+\z", RegexOptions.CultureInvariant)]
    private static partial Regex KindRegex();

    [GeneratedRegex(@"^[A-Za-z0-9._-]{1,64}\z", RegexOptions.CultureInvariant)]
    private static partial Regex SessionIdRegex();
}
