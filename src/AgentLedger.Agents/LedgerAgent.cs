using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using AgentLedger.Extensions.AI;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;

namespace AgentLedger.Agents;

/// <summary>
/// Agent middleware: records each invocation of the agent it wraps as one <c>agent.responded</c> (or
/// <c>agent.failed</c>) event with the agent's name as actor, and makes that name the actor of everything
/// recorded inside the invocation (the <see cref="LedgerChatClient"/> calls of its chat client, its tool calls).
/// Inside a <see cref="LedgerRun"/> it records in the current turn; outside one, under <see cref="LedgerAgentOptions.RunId"/>.
/// </summary>
/// <remarks>
/// The agent's summed usage is stored as <c>model_usage</c>, not <c>usage</c>: the model calls inside already
/// carry their tokens, and <c>stats</c> must not count them twice.
/// </remarks>
public sealed class LedgerAgent : DelegatingAIAgent
{
    private readonly ILedgerWriter _ledger;
    private readonly LedgerAgentOptions _options;
    private readonly string _fallbackRunId = "agent-" + Guid.NewGuid().ToString("N")[..12];

    private CallSequencer Unscoped => CallSequencer.Unscoped(_ledger);

    public LedgerAgent(AIAgent innerAgent, ILedgerWriter ledger, LedgerAgentOptions? options = null)
        : base(innerAgent)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        _ledger = ledger;
        _options = options ?? new LedgerAgentOptions();
    }

    private string Actor => Name ?? InnerAgent.Name ?? Id;

    protected override async Task<AgentResponse> RunCoreAsync(IEnumerable<ChatMessage> messages, AgentSession? session = null, AgentRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        var request = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        using var scope = Enter(out var target);
        var started = _options.TimeProvider.GetTimestamp();
        AgentResponse response;
        try
        {
            response = await base.RunCoreAsync(request, session, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await RecordAsync(target, request, null, ex, started).ConfigureAwait(false);
            throw;
        }

        await RecordAsync(target, request, response, null, started).ConfigureAwait(false);
        return response;
    }

    protected override async IAsyncEnumerable<AgentResponseUpdate> RunCoreStreamingAsync(
        IEnumerable<ChatMessage> messages, AgentSession? session = null, AgentRunOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        Target target;
        IAsyncEnumerator<AgentResponseUpdate> stream;
        // An iterator's AsyncLocal changes do not outlive each step: enter the scope around every step instead.
        using (Enter(out target))
        {
            stream = base.RunCoreStreamingAsync(request, session, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        }

        var started = _options.TimeProvider.GetTimestamp();
        var updates = new List<AgentResponseUpdate>();
        Exception? failure = null;
        try
        {
            while (true)
            {
                using (Reenter(target))
                {
                    try
                    {
                        if (!await stream.MoveNextAsync().ConfigureAwait(false))
                        {
                            break;
                        }
                    }
                    catch (Exception ex)
                    {
                        failure = ex;
                        throw;
                    }
                }

                updates.Add(stream.Current);
                yield return stream.Current;
            }
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            await RecordAsync(target, request, failure is null ? updates.ToAgentResponse() : null, failure, started).ConfigureAwait(false);
        }
    }

    private readonly record struct Target(LedgerRun? Run, string RunId, int Turn, string Actor, string? ModelProfile);

    private LedgerScope? Enter(out Target target)
    {
        if (LedgerScope.Current is { } current)
        {
            target = new Target(current.Run, current.Run.RunId, current.Turn, Actor, current.ModelProfile);
            return current.Run.Turn(current.Turn, Actor);
        }

        target = new Target(null, _options.RunId ?? _fallbackRunId, _options.Turn, Actor, null);
        return null;
    }

    private static LedgerScope? Reenter(Target target) => target.Run?.Turn(target.Turn, target.Actor, target.ModelProfile);

    private async ValueTask RecordAsync(Target target, IReadOnlyList<ChatMessage> request, AgentResponse? response, Exception? failure, long started)
    {
        var sequencer = target.Run?.Sequencer ?? Unscoped;
        var n = sequencer.Next(target.RunId, target.Turn, target.Actor, "agent");
        var payload = new JsonObject
        {
            ["agent_id"] = Id,
            ["latency_ms"] = Math.Round(_options.TimeProvider.GetElapsedTime(started).TotalMilliseconds, 3),
            ["request_message_count"] = request.Count,
        };
        if (response is not null)
        {
            payload["text"] = _options.CaptureContent ? response.Text : null;
            payload["response_id"] = response.ResponseId;
            if (response.Usage is { } usage)
            {
                payload["model_usage"] = new JsonObject
                {
                    ["input_tokens"] = usage.InputTokenCount,
                    ["output_tokens"] = usage.OutputTokenCount,
                    ["total_tokens"] = usage.TotalTokenCount,
                };
            }
        }
        else if (failure is not null)
        {
            payload["cancelled"] = failure is OperationCanceledException;
            payload["error"] = new JsonObject { ["type"] = failure.GetType().FullName, ["message"] = _options.CaptureContent ? failure.Message : null };
        }

        var kind = failure is null ? "agent.responded" : "agent.failed";
        var id = EventIds.Of(target.RunId, target.Turn.ToString(CultureInfo.InvariantCulture), target.Actor, kind, n.ToString(CultureInfo.InvariantCulture));
        var modelId = InnerAgent.GetService<ChatClientMetadata>()?.DefaultModelId;
        // CancellationToken.None: the invocation happened; a cancellation arriving now must not lose its record.
        await _ledger.AppendAsync(new LedgerEvent(target.RunId, target.Turn, kind, target.Actor, payload, id, _options.TimeProvider.GetUtcNow(),
            sessionId: target.Run?.SessionId, modelProfile: target.ModelProfile, modelId: modelId), CancellationToken.None).ConfigureAwait(false);
    }
}
