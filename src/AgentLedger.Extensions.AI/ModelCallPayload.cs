using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace AgentLedger.Extensions.AI;

/// <summary>The payloads of the events the middleware appends, in the ledger's conventions (<see cref="TokenUsage"/>).</summary>
internal static class ModelCallPayload
{
    private const int MaxErrorMessageLength = 500;

    public static JsonObject Responded(ChatResponse response, IReadOnlyList<ChatMessage> request, TimeSpan latency, bool streaming, bool stoppedEarly, int attempt, bool capture)
    {
        var payload = new JsonObject();
        if (capture)
        {
            payload["text"] = response.Text;
        }

        AddResponse(payload, response, capture);
        AddCall(payload, request, latency, streaming, attempt, capture);
        if (stoppedEarly)
        {
            payload["stopped_early"] = true;
        }

        return payload;
    }

    public static JsonObject Failed(Exception exception, ChatResponse? partial, IReadOnlyList<ChatMessage> request, TimeSpan latency, bool streaming, int attempt, bool capture)
    {
        var payload = new JsonObject
        {
            ["cancelled"] = exception is OperationCanceledException,
            ["error"] = Error(exception, capture),
        };
        if (partial is not null && (partial.Messages.Count > 0 || partial.Usage is not null))
        {
            if (capture)
            {
                payload["partial_text"] = partial.Text;
            }

            AddResponse(payload, partial, capture);
        }

        AddCall(payload, request, latency, streaming, attempt, capture);
        return payload;
    }

    public static JsonObject ToolCalled(FunctionCallContent call, bool capture)
    {
        var payload = new JsonObject { ["call_id"] = call.CallId, ["name"] = call.Name };
        if (capture && call.Arguments is not null)
        {
            payload["arguments"] = ToNode(call.Arguments);
        }

        return payload;
    }

    public static JsonObject ToolReturned(string callId, string? name, object? result, Exception? exception, TimeSpan? latency, bool capture)
    {
        var payload = new JsonObject { ["call_id"] = callId };
        if (name is not null)
        {
            payload["name"] = name;
        }

        if (exception is not null)
        {
            payload["error"] = Error(exception, capture);
        }
        else if (capture)
        {
            payload["result"] = ToNode(result);
        }

        if (latency is { } elapsed)
        {
            payload["latency_ms"] = Milliseconds(elapsed);
        }

        return payload;
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

    private static void AddResponse(JsonObject payload, ChatResponse response, bool capture)
    {
        if (response.Usage is { } usage)
        {
            var node = new JsonObject();
            Put(node, "input_tokens", usage.InputTokenCount);
            Put(node, "output_tokens", usage.OutputTokenCount);
            Put(node, "total_tokens", usage.TotalTokenCount ?? (usage.InputTokenCount + usage.OutputTokenCount));
            Put(node, "cached_input_tokens", usage.CachedInputTokenCount);
            Put(node, "reasoning_tokens", usage.ReasoningTokenCount);
            payload["usage"] = node;
        }

        if (response.FinishReason is { } finish)
        {
            payload["finish_reason"] = finish.Value;
        }

        if (response.ResponseId is { } responseId)
        {
            payload["response_id"] = responseId;
        }

        if (response.ConversationId is { } conversationId)
        {
            payload["conversation_id"] = conversationId;
        }

        JsonArray? calls = null;
        foreach (var message in response.Messages)
        {
            foreach (var content in message.Contents)
            {
                if (content is FunctionCallContent call)
                {
                    (calls ??= []).Add((JsonNode)ToolCalled(call, capture));
                }
            }
        }

        if (calls is not null)
        {
            payload["tool_calls"] = calls;
        }
    }

    private static void AddCall(JsonObject payload, IReadOnlyList<ChatMessage> request, TimeSpan latency, bool streaming, int attempt, bool capture)
    {
        payload["latency_ms"] = Milliseconds(latency);
        if (streaming)
        {
            payload["streaming"] = true;
        }

        if (attempt > 1)
        {
            payload["attempt"] = attempt;
        }

        var node = new JsonObject { ["message_count"] = request.Count };
        if (capture)
        {
            var messages = new JsonArray();
            foreach (var message in request)
            {
                messages.Add((JsonNode)Message(message));
            }

            node["messages"] = messages;
        }

        payload["request"] = node;
    }

    private static JsonObject Message(ChatMessage message)
    {
        var node = new JsonObject { ["role"] = message.Role.Value };
        if (message.AuthorName is { } author)
        {
            node["author"] = author;
        }

        var text = message.Text;
        if (text.Length > 0)
        {
            node["text"] = text;
        }

        JsonArray? calls = null, results = null;
        foreach (var content in message.Contents)
        {
            switch (content)
            {
                case FunctionCallContent call:
                    (calls ??= []).Add((JsonNode)ToolCalled(call, capture: true));
                    break;
                case FunctionResultContent result:
                    (results ??= []).Add((JsonNode)new JsonObject { ["call_id"] = result.CallId, ["result"] = ToNode(result.Result) });
                    break;
            }
        }

        if (calls is not null)
        {
            node["tool_calls"] = calls;
        }

        if (results is not null)
        {
            node["tool_results"] = results;
        }

        return node;
    }

    private static JsonObject Error(Exception exception, bool capture)
    {
        var node = new JsonObject { ["type"] = exception.GetType().FullName };
        if (capture)
        {
            // Bounded: an exception message is for a human, and some carry a whole response body.
            var message = exception.Message;
            node["message"] = message.Length > MaxErrorMessageLength ? message[..MaxErrorMessageLength] : message;
        }

        return node;
    }

    private static void Put(JsonObject node, string name, long? value)
    {
        if (value is { } n)
        {
            node[name] = n;
        }
    }

    private static double Milliseconds(TimeSpan elapsed) => Math.Round(elapsed.TotalMilliseconds, 3);

    // Tool arguments and results are whatever the application's functions take and return: serialise them with
    // M.E.AI's own options, and fall back to text for a type those options cannot write.
    private static JsonNode? ToNode(object? value)
    {
        switch (value)
        {
            case null:
                return null;
            case string text:
                return JsonValue.Create(text);
            case JsonElement element:
                return JsonNode.Parse(element.GetRawText());
            case JsonNode node:
                return node.DeepClone();
        }

        try
        {
            return JsonSerializer.SerializeToNode(value, AIJsonUtilities.DefaultOptions.GetTypeInfo(value.GetType()));
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or JsonException)
        {
            return JsonValue.Create(value.ToString());
        }
    }
}
