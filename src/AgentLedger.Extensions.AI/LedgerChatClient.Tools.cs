using Microsoft.Extensions.AI;

namespace AgentLedger.Extensions.AI;

public sealed partial class LedgerChatClient
{
    // Outside the function-invocation loop: every invocation passes through the loop's invoker, so wrap it
    // (keeping any invoker the application set) and record the call, its result and how long it took.
    private void HookFunctionInvoker(FunctionInvokingChatClient invoker)
    {
        var previous = invoker.FunctionInvoker;
        invoker.FunctionInvoker = async (context, cancellationToken) =>
        {
            var target = ToolTarget(context.Options);
            var callId = context.CallContent.CallId;
            await AppendToolEventAsync(target, "tool.called", callId, ModelCallPayload.ToolCalled(context.CallContent, Options.CaptureContent)).ConfigureAwait(false);
            var started = Options.TimeProvider.GetTimestamp();
            try
            {
                var result = previous is not null
                    ? await previous(context, cancellationToken).ConfigureAwait(false)
                    : await context.Function.InvokeAsync(context.Arguments, cancellationToken).ConfigureAwait(false);
                await AppendToolEventAsync(target, "tool.returned", callId, ModelCallPayload.ToolReturned(
                    callId, context.Function.Name, result, null, Options.TimeProvider.GetElapsedTime(started), Options.CaptureContent)).ConfigureAwait(false);
                return result;
            }
            catch (Exception ex)
            {
                await AppendToolEventAsync(target, "tool.returned", callId, ModelCallPayload.ToolReturned(
                    callId, context.Function.Name, null, ex, Options.TimeProvider.GetElapsedTime(started), Options.CaptureContent)).ConfigureAwait(false);
                throw;
            }
        };
    }

    // Inside the loop: the calls the model asked for are in its response...
    private async ValueTask RecordToolCallsAsync(Call call, ChatResponse response)
    {
        foreach (var message in response.Messages)
        {
            foreach (var content in message.Contents)
            {
                if (content is FunctionCallContent functionCall)
                {
                    await AppendToolEventAsync(Target(call), "tool.called", functionCall.CallId, ModelCallPayload.ToolCalled(functionCall, Options.CaptureContent)).ConfigureAwait(false);
                }
            }
        }
    }

    // ...and their results are the tool messages at the end of the next request. Only the trailing ones: the
    // earlier ones were recorded by an earlier round trip (and would be duplicates anyway).
    private async ValueTask RecordToolResultsAsync(Call call, IReadOnlyList<ChatMessage> request)
    {
        if (_toolsRecordedByInvoker || !Options.RecordToolCalls)
        {
            return;
        }

        var first = request.Count;
        while (first > 0 && request[first - 1].Role == ChatRole.Tool)
        {
            first--;
        }

        for (var i = first; i < request.Count; i++)
        {
            foreach (var content in request[i].Contents)
            {
                if (content is FunctionResultContent result)
                {
                    await AppendToolEventAsync(Target(call), "tool.returned", result.CallId, ModelCallPayload.ToolReturned(
                        result.CallId, null, result.Result, result.Exception, null, Options.CaptureContent)).ConfigureAwait(false);
                }
            }
        }
    }

    private readonly record struct ToolScope(string RunId, int Turn, string Actor, string? ModelProfile, string? SessionId);

    private static ToolScope Target(Call call) => new(call.RunId, call.Turn, call.Actor, call.ModelProfile, call.SessionId);

    // The same run as the model calls of that request would be recorded under (see BeginCall).
    private ToolScope ToolTarget(ChatOptions? options)
        => LedgerScope.Current is { } scope
            ? new(scope.Run.RunId, scope.Turn, scope.Actor, scope.ModelProfile ?? Options.ModelProfile, scope.Run.SessionId)
            : new(Options.RunId ?? options?.ConversationId ?? _fallbackRunId, Options.Turn, Options.Actor, Options.ModelProfile, LedgerEvent.NormalizeSessionId(Options.SessionId));

    private async ValueTask AppendToolEventAsync(ToolScope target, string kind, string callId, string payload)
    {
        var id = EventIds.Of(target.RunId, Invariant(target.Turn), target.Actor, "tool", callId, kind);
        await AppendAsync(new LedgerEvent(target.RunId, target.Turn, kind, target.Actor, payload, id, Options.TimeProvider.GetUtcNow(),
            sessionId: target.SessionId, modelProfile: target.ModelProfile)).ConfigureAwait(false);
    }
}
