using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using AgentLedger.Storage;

namespace AgentLedger;

/// <summary>
/// JSON Lines traces: one event per line, envelope fields in snake_case as the reference writes
/// them, plus <c>offset</c> when the event came from a store.
/// </summary>
public static class JsonlTrace
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
        SkipValidation = false,
    };

    /// <summary>One line (without the newline) for a stored event.</summary>
    public static string Write(StoredEvent stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            WriteObject(writer, stored.Event, stored.Offset);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes the event as one JSON object; <paramref name="offset"/> is left out when null.</summary>
    internal static void WriteObject(Utf8JsonWriter writer, LedgerEvent e, long? offset)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(e);
        writer.WriteStartObject();
        if (offset is { } o)
        {
            writer.WriteNumber("offset", o);
        }

        writer.WriteString("id", e.Id);
        writer.WriteString("run_id", e.RunId);
        writer.WriteNumber("turn", e.Turn);
        writer.WriteString("kind", e.Kind);
        writer.WriteString("actor", e.Actor);
        writer.WritePropertyName("payload");
        if (e.Payload.AsSpan().IndexOfAny('\n', '\r') < 0)
        {
            writer.WriteRawValue(e.Payload);
        }
        else
        {
            // A payload stored pretty-printed would break the one-line rule: write it compactly, numbers as given.
            e.PayloadElement.WriteTo(writer);
        }

        writer.WriteString("created_at", Timestamps.Format(e.CreatedAt));
        writer.WriteNumber("schema_version", e.SchemaVersion);
        WriteOptional(writer, "session_id", e.SessionId);
        WriteOptional(writer, "model_profile", e.ModelProfile);
        WriteOptional(writer, "model_id", e.ModelId);
        writer.WriteEndObject();
    }

    /// <summary>
    /// Reads one line into an event (validated like any other) and the offset it carried, if any.
    /// </summary>
    /// <exception cref="JsonlFormatException">The line is not one JSON object of a valid event; names the line and the reason.</exception>
    public static (LedgerEvent Event, long? Offset) ParseLine(string line, long lineNumber)
    {
        ArgumentNullException.ThrowIfNull(line);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            throw new JsonlFormatException(lineNumber, $"not valid JSON ({ex.Message})", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new JsonlFormatException(lineNumber, $"expected a JSON object, got {root.ValueKind.ToString().ToLowerInvariant()}");
            }

            try
            {
                var payload = root.TryGetProperty("payload", out var p)
                    ? p.ValueKind == JsonValueKind.Object ? p.GetRawText() : throw new JsonlFormatException(lineNumber, $"payload must be a JSON object, got {p.ValueKind.ToString().ToLowerInvariant()}")
                    : throw new JsonlFormatException(lineNumber, "missing field 'payload'");
                var e = new LedgerEvent(
                    runId: RequiredString(root, "run_id", lineNumber),
                    turn: RequiredInt(root, "turn", lineNumber),
                    kind: RequiredString(root, "kind", lineNumber),
                    actor: RequiredString(root, "actor", lineNumber),
                    payload: payload,
                    id: OptionalString(root, "id", lineNumber),
                    createdAt: OptionalTime(root, lineNumber),
                    schemaVersion: OptionalInt(root, "schema_version", lineNumber) ?? 1,
                    sessionId: OptionalString(root, "session_id", lineNumber),
                    modelProfile: OptionalString(root, "model_profile", lineNumber),
                    modelId: OptionalString(root, "model_id", lineNumber));
                long? offset = root.TryGetProperty("offset", out var off) && off.ValueKind != JsonValueKind.Null
                    ? off.TryGetInt64(out var value) && value > 0 ? value : throw new JsonlFormatException(lineNumber, "offset must be a positive integer")
                    : null;
                return (e, offset);
            }
            catch (InvalidEventException ex)
            {
                throw new JsonlFormatException(lineNumber, ex.Message, ex);
            }
        }
    }

    /// <summary>Reads a whole trace, line by line, in constant memory. Blank lines are skipped.</summary>
    public static async IAsyncEnumerable<(LedgerEvent Event, long? Offset, long LineNumber)> ReadAsync(
        TextReader reader, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        long lineNumber = 0;

        // ReadLineAsync splits on \n and \r\n only; U+2028 and U+2029 stay inside JSON strings where they belong.
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var (e, offset) = ParseLine(line, lineNumber);
            yield return (e, offset, lineNumber);
        }
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }

    private static string RequiredString(JsonElement root, string name, long lineNumber)
        => OptionalString(root, name, lineNumber) ?? throw new JsonlFormatException(lineNumber, $"missing field '{name}'");

    private static string? OptionalString(JsonElement root, string name, long lineNumber)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new JsonlFormatException(lineNumber, $"field '{name}' must be a string, got {value.ValueKind.ToString().ToLowerInvariant()}");
    }

    private static int RequiredInt(JsonElement root, string name, long lineNumber)
        => OptionalInt(root, name, lineNumber) ?? throw new JsonlFormatException(lineNumber, $"missing field '{name}'");

    private static int? OptionalInt(JsonElement root, string name, long lineNumber)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number)
            ? number
            : throw new JsonlFormatException(lineNumber, $"field '{name}' must be a whole number");
    }

    private static DateTimeOffset? OptionalTime(JsonElement root, long lineNumber)
    {
        var text = OptionalString(root, "created_at", lineNumber);
        if (text is null)
        {
            return null;
        }

        try
        {
            return Timestamps.Parse(text);
        }
        catch (FormatException ex)
        {
            throw new JsonlFormatException(lineNumber, $"field 'created_at': {ex.Message}", ex);
        }
    }
}
