using System.Globalization;
using Microsoft.Extensions.AI;

namespace AgentLedger.Extensions.AI;

/// <summary>
/// Records every model call that passes through it as one ledger event: <c>model.responded</c> (the model that
/// answered, usage, finish reason, latency, tool calls asked for, the answer) or <c>model.failed</c> (an
/// exception or a cancellation). Run, turn and actor come from the ambient <see cref="LedgerScope"/>, else
/// from <see cref="Options"/>. Event ids are deterministic, so a retried call or a replayed run records
/// duplicates, never a second event.
/// </summary>
/// <remarks>
/// Placement: added after <c>UseFunctionInvocation()</c> in the builder (so nearer the model) it records one
/// event per model round trip; added before it (outside), one per user request, with the usage the loop
/// summed. Either way tool invocations are recorded as <c>tool.called</c> / <c>tool.returned</c>: outside, by
/// wrapping the loop's <see cref="FunctionInvokingChatClient.FunctionInvoker"/> (with timings); inside, from the
/// calls in each response and the results in the next request. A failure to append is not swallowed: the
/// caller learns that its run was not recorded.
/// </remarks>
public sealed partial class LedgerChatClient : DelegatingChatClient
{
    private readonly ILedgerWriter _ledger;
    private readonly string _fallbackRunId = "chat-" + Guid.NewGuid().ToString("N")[..12];
    private readonly bool _toolsRecordedByInvoker;
    private ChatClientMetadata? _metadata;
    private bool _metadataRead;

    private CallSequencer Unscoped => CallSequencer.Unscoped(_ledger);

    public LedgerChatClient(IChatClient innerClient, ILedgerWriter ledger, LedgerChatClientOptions? options = null)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        _ledger = ledger;
        Options = options ?? new LedgerChatClientOptions();
        if (Options.RecordToolCalls && innerClient.GetService<FunctionInvokingChatClient>() is { } invoker)
        {
            HookFunctionInvoker(invoker);
            _toolsRecordedByInvoker = true;
        }
    }

    public LedgerChatClientOptions Options { get; }

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var request = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var call = BeginCall(messages, request, options);
        if (await RecordedAnswerAsync(call, cancellationToken).ConfigureAwait(false) is { } recorded)
        {
            return recorded;
        }

        await RecordToolResultsAsync(call, request).ConfigureAwait(false);
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(request, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await RecordFailureAsync(call, request, options, ex, partial: null, streaming: false).ConfigureAwait(false);
            throw;
        }

        await RecordResponseAsync(call, request, options, response, streaming: false, stoppedEarly: false).ConfigureAwait(false);
        return response;
    }

    /// <summary>Who is calling, and the call's number in its (run, turn, actor).</summary>
    private sealed record Call(string RunId, int Turn, string Actor, string? ModelProfile, string? SessionId, LedgerRun? Run, CallSequencer Sequencer, int Sequence, int Attempt, long StartedAt);

    private Call BeginCall(object messagesKey, IReadOnlyList<ChatMessage> request, ChatOptions? options)
    {
        var clock = Options.TimeProvider;
        if (LedgerScope.Current is { } scope)
        {
            var run = scope.Run;
            var (sequence, attempt) = run.Sequencer.NextCall(run.RunId, scope.Turn, scope.Actor, messagesKey, request.Count, options);
            return new Call(run.RunId, scope.Turn, scope.Actor, scope.ModelProfile ?? Options.ModelProfile, run.SessionId, run, run.Sequencer, sequence, attempt, clock.GetTimestamp());
        }

        var runId = Options.RunId ?? options?.ConversationId ?? _fallbackRunId;
        var (seq, att) = Unscoped.NextCall(runId, Options.Turn, Options.Actor, messagesKey, request.Count, options);
        return new Call(runId, Options.Turn, Options.Actor, Options.ModelProfile, LedgerEvent.NormalizeSessionId(Options.SessionId), null, Unscoped, seq, att, clock.GetTimestamp());
    }

    private async ValueTask RecordResponseAsync(Call call, IReadOnlyList<ChatMessage> request, ChatOptions? options, ChatResponse response, bool streaming, bool stoppedEarly)
    {
        call.Sequencer.Succeeded(call.RunId, call.Turn, call.Actor, call.Sequence);
        var latency = Options.TimeProvider.GetElapsedTime(call.StartedAt);
        var payload = ModelCallPayload.Responded(response, request, latency, streaming, stoppedEarly, call.Attempt, Options.CaptureContent);
        var id = ResponseId(call);
        var modelId = response.ModelId ?? options?.ModelId ?? Metadata()?.DefaultModelId;
        // Recorded with CancellationToken.None: the model has answered (and been paid for); a cancellation
        // arriving now must not lose the record of it.
        await AppendAsync(new LedgerEvent(call.RunId, call.Turn, "model.responded", call.Actor, payload, id, Options.TimeProvider.GetUtcNow(),
            sessionId: call.SessionId, modelProfile: call.ModelProfile, modelId: modelId)).ConfigureAwait(false);
        call.Run?.AddTokens(ModelCallPayload.TotalTokens(response.Usage));
        if (!_toolsRecordedByInvoker && Options.RecordToolCalls)
        {
            await RecordToolCallsAsync(call, response).ConfigureAwait(false);
        }
    }

    private async ValueTask RecordFailureAsync(Call call, IReadOnlyList<ChatMessage> request, ChatOptions? options, Exception exception, ChatResponse? partial, bool streaming)
    {
        var latency = Options.TimeProvider.GetElapsedTime(call.StartedAt);
        var payload = ModelCallPayload.Failed(exception, partial, request, latency, streaming, call.Attempt, Options.CaptureContent);
        var id = EventIds.Of(call.RunId, Invariant(call.Turn), call.Actor, "model", Invariant(call.Sequence), "failed", Invariant(call.Attempt));
        var modelId = partial?.ModelId ?? options?.ModelId ?? Metadata()?.DefaultModelId;
        await AppendAsync(new LedgerEvent(call.RunId, call.Turn, "model.failed", call.Actor, payload, id, Options.TimeProvider.GetUtcNow(),
            sessionId: call.SessionId, modelProfile: call.ModelProfile, modelId: modelId)).ConfigureAwait(false);
        if (partial?.Usage is { } usage)
        {
            call.Run?.AddTokens(ModelCallPayload.TotalTokens(usage));
        }
    }

    /// <summary>Waits until every event this client queued with <see cref="LedgerChatClientOptions.WriteBehind"/> is written.</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
        => BackgroundAppender.Existing(_ledger) is { } appender ? appender.FlushAsync(cancellationToken) : ValueTask.CompletedTask;

    private async ValueTask AppendAsync(LedgerEvent ledgerEvent)
    {
        if (Options.WriteBehind)
        {
            BackgroundAppender.For(_ledger).Enqueue(ledgerEvent);
            return;
        }

        await _ledger.AppendAsync(ledgerEvent, CancellationToken.None).ConfigureAwait(false);
    }

    private ChatClientMetadata? Metadata()
    {
        if (!_metadataRead)
        {
            _metadata = InnerClient.GetService<ChatClientMetadata>();
            _metadataRead = true;
        }

        return _metadata;
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
