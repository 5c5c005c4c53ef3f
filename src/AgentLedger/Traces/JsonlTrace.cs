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
        try
        {
            using var writer = new Utf8JsonWriter(buffer, WriterOptions);
            WriteObject(writer, stored.Event, stored.Offset);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException)
        {
            // Only a foreign row can get here: everything AgentLedger appends was checked to be a JSON object.
            throw new LedgerStorageException(
                LedgerErrorKind.InvalidData, $"offset {stored.Offset}",
                $"event {stored.Event.Id} has a payload that is not a JSON object, so it cannot be written as a JSON line ('agentledger verify' lists such rows)", ex);
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
            document = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = PayloadJson.MaxDepth + 1 });
        }
        catch (JsonException ex)
        {
            throw new JsonlFormatException(lineNumber, $"not valid JSON ({ex.Message})", ex);
        }
        catch (ArgumentException ex)
        {
            // Found by the property tests: a line holding a lone surrogate cannot even be transcoded for the parser.
            throw new JsonlFormatException(lineNumber, "not valid Unicode (a lone surrogate)", ex);
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

    /// <summary>
    /// Reads a whole trace of UTF-8 bytes, line by line, in constant memory. Bytes that are not UTF-8 are
    /// refused with their line number (a decoder that replaces them would store U+FFFD without a word).
    /// </summary>
    public static async IAsyncEnumerable<(LedgerEvent Event, long? Offset, long LineNumber)> ReadAsync(
        Stream stream, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);

        // Lines are cut as bytes and each is decoded on its own, so a bad byte is reported on its own line.
        var buffer = new byte[1 << 16];
        var pending = new ArrayBufferWriter<byte>();
        int start = 0, end = 0;
        long lineNumber = 0;
        while (true)
        {
            if (start == end)
            {
                (start, end) = (0, await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));
                if (end == 0)
                {
                    break;
                }
            }

            if (!TakeLine(buffer, ref start, end, pending, lineNumber + 1, out var line))
            {
                continue;
            }

            lineNumber++;
            if (!string.IsNullOrWhiteSpace(line))
            {
                var (e, offset) = ParseLine(line, lineNumber);
                yield return (e, offset, lineNumber);
            }
        }

        if (pending.WrittenCount > 0 && Decode(pending.WrittenSpan, ++lineNumber) is { } last && !string.IsNullOrWhiteSpace(last))
        {
            var (e, offset) = ParseLine(last, lineNumber);
            yield return (e, offset, lineNumber);
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

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Takes the next whole line out of the buffer (joining what is pending), or keeps a partial one pending.</summary>
    private static bool TakeLine(byte[] buffer, ref int start, int end, ArrayBufferWriter<byte> pending, long lineNumber, out string? line)
    {
        var span = buffer.AsSpan(start, end - start);
        var newline = span.IndexOf((byte)'\n');
        if (newline < 0)
        {
            pending.Write(span);
            start = end;
            line = null;
            return false;
        }

        start += newline + 1;
        if (pending.WrittenCount == 0)
        {
            line = Decode(span[..newline], lineNumber);
        }
        else
        {
            pending.Write(span[..newline]);
            line = Decode(pending.WrittenSpan, lineNumber);
            pending.Clear();
        }

        return true;
    }

    private static string Decode(ReadOnlySpan<byte> bytes, long lineNumber)
    {
        if (bytes is [.., (byte)'\r'])
        {
            bytes = bytes[..^1];
        }

        // A byte-order mark at the very start is not part of the first line.
        if (lineNumber == 1 && bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            bytes = bytes[3..];
        }

        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new JsonlFormatException(lineNumber, "not valid UTF-8", ex);
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

        if (value.ValueKind != JsonValueKind.String)
        {
            throw new JsonlFormatException(lineNumber, $"field '{name}' must be a string, got {value.ValueKind.ToString().ToLowerInvariant()}");
        }

        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException ex)
        {
            // An escaped lone surrogate ("\ud800") is valid JSON text but no string.
            throw new JsonlFormatException(lineNumber, $"field '{name}' is not valid Unicode (a lone surrogate)", ex);
        }
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
