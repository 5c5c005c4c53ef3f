using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace AgentLedger.Extensions.AI;

public sealed partial class LedgerChatClient
{
    private readonly ConcurrentDictionary<string, Lazy<Task<Dictionary<string, LedgerEvent>>>> _recorded = new(StringComparer.Ordinal);

    private static string ResponseId(Call call) => EventIds.Of(call.RunId, Invariant(call.Turn), call.Actor, "model", Invariant(call.Sequence));

    // With ReplayRecorded: the answer this call already has in the ledger (a restarted run), or null.
    private async ValueTask<ChatResponse?> RecordedAnswerAsync(Call call, CancellationToken cancellationToken)
    {
        if (!Options.ReplayRecorded || _ledger is not ILedgerReader reader)
        {
            return null;
        }

        // The run's recorded answers, read once per run (later calls of this process have new ids anyway), and
        // not cancellable: one caller's cancellation must not poison the index every other call shares.
        var load = _recorded.GetOrAdd(call.RunId, runId => new Lazy<Task<Dictionary<string, LedgerEvent>>>(() => LoadAsync(reader, runId, CancellationToken.None)));
        Dictionary<string, LedgerEvent> index;
        try
        {
            index = await load.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _recorded.TryRemove(KeyValuePair.Create(call.RunId, load));
            throw;
        }

        if (!index.TryGetValue(ResponseId(call), out var recorded))
        {
            return null;
        }

        call.Sequencer.Succeeded(call.RunId, call.Turn, call.Actor, call.Sequence);
        var response = ToResponse(recorded);
        call.Run?.AddTokens(ModelCallPayload.TotalTokens(response.Usage));
        return response;
    }

    private static async Task<Dictionary<string, LedgerEvent>> LoadAsync(ILedgerReader reader, string runId, CancellationToken cancellationToken)
    {
        var index = new Dictionary<string, LedgerEvent>(StringComparer.Ordinal);
        await foreach (var stored in reader.ReadAsync(new EventQuery { RunId = runId, Kind = "model.responded" }, cancellationToken).ConfigureAwait(false))
        {
            index[stored.Event.Id] = stored.Event;
        }

        return index;
    }

    // The recorded event back as the response the model gave: its text, the tool calls it asked for, usage,
    // finish reason, ids and model.
    private static ChatResponse ToResponse(LedgerEvent recorded)
    {
        var payload = recorded.PayloadElement;
        var contents = new List<AIContent>();
        if (payload.TryGetProperty("text", out var text) && text.GetString() is { Length: > 0 } answer)
        {
            contents.Add(new TextContent(answer));
        }

        if (payload.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
        {
            foreach (var call in calls.EnumerateArray())
            {
                var arguments = call.TryGetProperty("arguments", out var args) && args.ValueKind == JsonValueKind.Object
                    ? args.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal)
                    : null;
                contents.Add(new FunctionCallContent(call.GetProperty("call_id").GetString()!, call.GetProperty("name").GetString()!, arguments));
            }
        }

        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, contents))
        {
            ModelId = recorded.ModelId,
            ResponseId = Text(payload, "response_id"),
            ConversationId = Text(payload, "conversation_id"),
            FinishReason = Text(payload, "finish_reason") is { } finish ? new ChatFinishReason(finish) : null,
        };
        if (payload.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            response.Usage = new UsageDetails
            {
                InputTokenCount = Number(usage, "input_tokens"),
                OutputTokenCount = Number(usage, "output_tokens"),
                TotalTokenCount = Number(usage, "total_tokens"),
                CachedInputTokenCount = Number(usage, "cached_input_tokens"),
                ReasoningTokenCount = Number(usage, "reasoning_tokens"),
            };
        }

        return response;
    }

    private static string? Text(JsonElement payload, string name)
        => payload.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? Number(JsonElement usage, string name)
        => usage.TryGetProperty(name, out var value) && value.TryGetInt64(out var n) ? n : null;
}
