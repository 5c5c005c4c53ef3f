using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentLedger;

/// <summary>Checks and writes payload text without ever turning a number into a double.</summary>
internal static class PayloadJson
{
    /// <summary>
    /// How deep a payload may nest. A JSONL line adds one level (the envelope), which its reader allows for,
    /// so whatever is appended also exports and imports again.
    /// </summary>
    public const int MaxDepth = 64;

    private static readonly JsonSerializerOptions CompactUnescaped = new()
    {
        // Keep non-ASCII text readable in the store; any JSON reader (the reference's included) reads it.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
    };

    /// <summary>Returns <paramref name="payload"/> unchanged when it is one JSON object; throws otherwise.</summary>
    public static string Validate(string? payload)
    {
        if (payload is null)
        {
            throw new InvalidEventException("payload", "a JSON object", "must be a JSON object, got null");
        }

        if (string.IsNullOrWhiteSpace(payload))
        {
            throw new InvalidEventException("payload", "a JSON object", "must be a JSON object, got empty text");
        }

        if (!LedgerEvent.IsValidUnicode(payload))
        {
            throw new InvalidEventException("payload", "a JSON object", "contains a lone surrogate (invalid UTF-16), which cannot be stored as UTF-8");
        }

        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(payload.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(payload, rented);
            var reader = new Utf8JsonReader(rented.AsSpan(0, length), new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = MaxDepth });
            if (!reader.Read())
            {
                throw new InvalidEventException("payload", "a JSON object", "must be a JSON object, got empty text");
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new InvalidEventException("payload", "a JSON object", $"must be a JSON object, got {Describe(reader.TokenType)}");
            }

            reader.Skip();
            if (reader.Read())
            {
                throw new InvalidEventException("payload", "a JSON object", "must be exactly one JSON object, found more after it");
            }

            return payload;
        }
        catch (JsonException ex)
        {
            throw new InvalidEventException("payload", "a JSON object", $"is not valid JSON: {ex.Message}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public static string Serialize(JsonObject? payload)
    {
        if (payload is null)
        {
            throw new InvalidEventException("payload", "a JSON object", "must be a JSON object, got null");
        }

        return payload.ToJsonString(CompactUnescaped);
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };
}
