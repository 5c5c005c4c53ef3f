using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace AgentLedger.Extensions.AI;

/// <summary>
/// The payloads of the events the middleware appends, in the ledger's conventions (<see cref="TokenUsage"/>),
/// written straight to UTF-8 with one reused writer per thread: a model call pays for one payload string,
/// not for a tree of JSON nodes.
/// </summary>
internal static class ModelCallPayload
{
    private const int MaxErrorMessageLength = 500;

    // Readable non-ASCII text in the store, as the core writes it (any JSON reader reads it).
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public static string Responded(ChatResponse response, IReadOnlyList<ChatMessage> request, TimeSpan latency, bool streaming, bool stoppedEarly, int attempt, bool capture)
    {
        var w = Begin();
        if (capture)
        {
            w.WriteString("text", response.Text);
        }

        WriteResponse(w, response, capture);
        WriteCall(w, request, latency, streaming, attempt, capture);
        if (stoppedEarly)
        {
            w.WriteBoolean("stopped_early", true);
        }

        return End(w);
    }

    public static string Failed(Exception exception, ChatResponse? partial, IReadOnlyList<ChatMessage> request, TimeSpan latency, bool streaming, int attempt, bool capture)
    {
        var w = Begin();
        w.WriteBoolean("cancelled", exception is OperationCanceledException);
        w.WritePropertyName("error");
        WriteError(w, exception, capture);
        if (partial is not null && (partial.Messages.Count > 0 || partial.Usage is not null))
        {
            if (capture)
            {
                w.WriteString("partial_text", partial.Text);
            }

            WriteResponse(w, partial, capture);
        }

        WriteCall(w, request, latency, streaming, attempt, capture);
        return End(w);
    }

    public static string ToolCalled(FunctionCallContent call, bool capture)
    {
        var w = Begin();
        WriteToolCallFields(w, call, capture);
        return End(w);
    }

    public static string ToolReturned(string callId, string? name, object? result, Exception? exception, TimeSpan? latency, bool capture)
    {
        var w = Begin();
        w.WriteString("call_id", callId);
        if (name is not null)
        {
            w.WriteString("name", name);
        }

        if (exception is not null)
        {
            w.WritePropertyName("error");
            WriteError(w, exception, capture);
        }
        else if (capture)
        {
            w.WritePropertyName("result");
            WriteValue(w, result);
        }

        if (latency is { } elapsed)
        {
            w.WriteNumber("latency_ms", Milliseconds(elapsed));
        }

        return End(w);
    }

    /// <summary>The tokens a usage counts: input + output, else the reported total.</summary>
    public static long TotalTokens(UsageDetails? usage)
    {
        if (usage is null)
        {
            return 0;
        }

        var sum = (usage.InputTokenCount ?? 0) + (usage.OutputTokenCount ?? 0);
        return sum > 0 ? sum : usage.TotalTokenCount ?? 0;
    }

    private static Utf8JsonWriter Begin()
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        writer.Reset(buffer);
        writer.WriteStartObject();
        return writer;
    }

    private static string End(Utf8JsonWriter writer)
    {
        writer.WriteEndObject();
        writer.Flush();
        return Encoding.UTF8.GetString(t_buffer!.WrittenSpan);
    }

    private static void WriteResponse(Utf8JsonWriter w, ChatResponse response, bool capture)
    {
        if (response.Usage is { } usage)
        {
            w.WriteStartObject("usage");
            Put(w, "input_tokens", usage.InputTokenCount);
            Put(w, "output_tokens", usage.OutputTokenCount);
            Put(w, "total_tokens", usage.TotalTokenCount ?? (usage.InputTokenCount + usage.OutputTokenCount));
            Put(w, "cached_input_tokens", usage.CachedInputTokenCount);
            Put(w, "reasoning_tokens", usage.ReasoningTokenCount);
            w.WriteEndObject();
        }

        if (response.FinishReason is { } finish)
        {
            w.WriteString("finish_reason", finish.Value);
        }

        if (response.ResponseId is { } responseId)
        {
            w.WriteString("response_id", responseId);
        }

        if (response.ConversationId is { } conversationId)
        {
            w.WriteString("conversation_id", conversationId);
        }

        var started = false;
        foreach (var message in response.Messages)
        {
            foreach (var content in message.Contents)
            {
                if (content is FunctionCallContent call)
                {
                    if (!started)
                    {
                        w.WriteStartArray("tool_calls");
                        started = true;
                    }

                    w.WriteStartObject();
                    WriteToolCallFields(w, call, capture);
                    w.WriteEndObject();
                }
            }
        }

        if (started)
        {
            w.WriteEndArray();
        }
    }

    private static void WriteCall(Utf8JsonWriter w, IReadOnlyList<ChatMessage> request, TimeSpan latency, bool streaming, int attempt, bool capture)
    {
        w.WriteNumber("latency_ms", Milliseconds(latency));
        if (streaming)
        {
            w.WriteBoolean("streaming", true);
        }

        if (attempt > 1)
        {
            w.WriteNumber("attempt", attempt);
        }

        w.WriteStartObject("request");
        w.WriteNumber("message_count", request.Count);
        if (capture)
        {
            w.WriteStartArray("messages");
            foreach (var message in request)
            {
                WriteMessage(w, message);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private static void WriteMessage(Utf8JsonWriter w, ChatMessage message)
    {
        w.WriteStartObject();
        w.WriteString("role", message.Role.Value);
        if (message.AuthorName is { } author)
        {
            w.WriteString("author", author);
        }

        var text = message.Text;
        if (text.Length > 0)
        {
            w.WriteString("text", text);
        }

        WriteContents<FunctionCallContent>(w, message, "tool_calls", static (w, call) => WriteToolCallFields(w, call, capture: true));
        WriteContents<FunctionResultContent>(w, message, "tool_results", static (w, result) =>
        {
            w.WriteString("call_id", result.CallId);
            w.WritePropertyName("result");
            WriteValue(w, result.Result);
        });
        w.WriteEndObject();
    }

    private static void WriteContents<T>(Utf8JsonWriter w, ChatMessage message, string name, Action<Utf8JsonWriter, T> write)
        where T : AIContent
    {
        var started = false;
        foreach (var content in message.Contents)
        {
            if (content is T item)
            {
                if (!started)
                {
                    w.WriteStartArray(name);
                    started = true;
                }

                w.WriteStartObject();
                write(w, item);
                w.WriteEndObject();
            }
        }

        if (started)
        {
            w.WriteEndArray();
        }
    }

    private static void WriteToolCallFields(Utf8JsonWriter w, FunctionCallContent call, bool capture)
    {
        w.WriteString("call_id", call.CallId);
        w.WriteString("name", call.Name);
        if (capture && call.Arguments is not null)
        {
            w.WriteStartObject("arguments");
            foreach (var (name, value) in call.Arguments)
            {
                w.WritePropertyName(name);
                WriteValue(w, value);
            }

            w.WriteEndObject();
        }
    }

    private static void WriteError(Utf8JsonWriter w, Exception exception, bool capture)
    {
        w.WriteStartObject();
        w.WriteString("type", exception.GetType().FullName);
        if (capture)
        {
            // Bounded: an exception message is for a human, and some carry a whole response body.
            var message = exception.Message;
            w.WriteString("message", message.Length > MaxErrorMessageLength ? message[..MaxErrorMessageLength] : message);
        }

        w.WriteEndObject();
    }

    private static void Put(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } n)
        {
            w.WriteNumber(name, n);
        }
    }

    private static double Milliseconds(TimeSpan elapsed) => Math.Round(elapsed.TotalMilliseconds, 3);

    // Tool arguments and results are whatever the application's functions take and return: write them with
    // M.E.AI's own options, and fall back to text for a type those options cannot write. Serialised to a
    // node first so a failure half-way leaves no half-written value behind.
    private static void WriteValue(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null:
                w.WriteNullValue();
                return;
            case string text:
                w.WriteStringValue(text);
                return;
            case JsonElement element:
                element.WriteTo(w);
                return;
        }

        System.Text.Json.Nodes.JsonNode? node;
        try
        {
            node = JsonSerializer.SerializeToNode(value, AIJsonUtilities.DefaultOptions.GetTypeInfo(value.GetType()));
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or JsonException)
        {
            w.WriteStringValue(value.ToString());
            return;
        }

        if (node is null)
        {
            w.WriteNullValue();
        }
        else
        {
            node.WriteTo(w);
        }
    }
}
