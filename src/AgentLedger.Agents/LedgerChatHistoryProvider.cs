using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using AgentLedger.Extensions.AI;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;

namespace AgentLedger.Agents;

/// <summary>
/// An Agent Framework chat history whose messages are ledger events: each message of a session is one
/// <c>chat.message</c> event whose <c>session_id</c> is the session's conversation id, in the ambient
/// <see cref="LedgerRun"/> (or, outside one, in a run named by the conversation id). Nothing is kept in the
/// process: an agent whose process restarted continues the conversation from the ledger, given the
/// conversation id (<see cref="UseConversation"/>) or the serialised session.
/// </summary>
/// <remarks>
/// Event ids are (conversation, message index), so storing the same turn again after a restart is a duplicate.
/// A turn's messages are appended as one batch: all of them are stored, or none. A conversation may span
/// runs: it is read back by its session id, whatever run each message was recorded in.
/// </remarks>
public sealed class LedgerChatHistoryProvider : ChatHistoryProvider
{
    /// <summary>The kind of the events that hold the messages.</summary>
    public const string MessageKind = "chat.message";

    private readonly ILedger _ledger;
    private readonly ProviderSessionState<State> _sessionState;

    public LedgerChatHistoryProvider(ILedger ledger)
        : base(null, null, null)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        _ledger = ledger;
        _sessionState = new ProviderSessionState<State>(_ => new State(), nameof(LedgerChatHistoryProvider), AIJsonUtilities.DefaultOptions);
    }

    public override IReadOnlyList<string> StateKeys => [_sessionState.StateKey];

    /// <summary>
    /// Binds <paramref name="session"/> to the conversation stored under <paramref name="conversationId"/> (a run
    /// id): the next invocation reads its history from the ledger and appends after it.
    /// </summary>
    public void UseConversation(AgentSession session, string conversationId)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentException.ThrowIfNullOrWhiteSpace(conversationId);
        if (LedgerEvent.NormalizeSessionId(conversationId) != conversationId)
        {
            throw new ArgumentException($"a conversation id is a session id and must match {LedgerEvent.SessionIdPattern}", nameof(conversationId));
        }

        _sessionState.SaveState(session, new State { ConversationId = conversationId });
    }

    /// <summary>The conversation id <paramref name="session"/> is bound to (one is made on first use).</summary>
    public string GetConversationId(AgentSession session) => Conversation(session).ConversationId!;

    protected override async ValueTask<IEnumerable<ChatMessage>> ProvideChatHistoryAsync(InvokingContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var state = Conversation(context.Session);
        var messages = new List<ChatMessage>();
        await foreach (var stored in _ledger.ReadAsync(new EventQuery { SessionId = state.ConversationId, Kind = MessageKind }, cancellationToken).ConfigureAwait(false))
        {
            if (stored.Event.PayloadElement.TryGetProperty("message", out var message)
                && message.Deserialize(AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ChatMessage))) is ChatMessage chatMessage)
            {
                messages.Add(chatMessage);
            }
        }

        state.Count = messages.Count;
        return messages;
    }

    protected override async ValueTask StoreChatHistoryAsync(InvokedContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var state = Conversation(context.Session);
        var index = state.Count ?? await CountAsync(state.ConversationId!, cancellationToken).ConfigureAwait(false);
        var actor = context.Agent.Name ?? "agent";
        var scope = LedgerScope.Current;
        var batch = new List<LedgerEvent>();
        foreach (var message in context.RequestMessages.Concat(context.ResponseMessages ?? []))
        {
            var payload = new JsonObject
            {
                ["index"] = index,
                ["role"] = message.Role.Value,
                ["text"] = message.Text,
                ["message"] = JsonSerializer.SerializeToNode(message, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ChatMessage))),
            };
            var id = EventIds.Of(state.ConversationId!, MessageKind, index.ToString(System.Globalization.CultureInfo.InvariantCulture));
            batch.Add(new LedgerEvent(scope?.Run.RunId ?? state.ConversationId!, scope?.Turn ?? 0, MessageKind, message.Role == ChatRole.Assistant ? actor : message.Role.Value,
                payload, id, sessionId: state.ConversationId));
            index++;
        }

        if (batch.Count > 0)
        {
            await _ledger.AppendBatchAsync(batch, cancellationToken).ConfigureAwait(false);
        }

        state.Count = index;
    }

    private State Conversation(AgentSession? session)
    {
        var state = _sessionState.GetOrInitializeState(session);
        if (state.ConversationId is null)
        {
            state.ConversationId = "chat-" + Guid.NewGuid().ToString("N");
            _sessionState.SaveState(session!, state);
        }

        return state;
    }

    private async Task<int> CountAsync(string conversationId, CancellationToken cancellationToken)
    {
        var count = 0;
        await foreach (var _ in _ledger.ReadAsync(new EventQuery { SessionId = conversationId, Kind = MessageKind }, cancellationToken).ConfigureAwait(false))
        {
            count++;
        }

        return count;
    }

    /// <summary>What the session keeps: only which conversation it is (the messages are in the ledger).</summary>
    internal sealed class State
    {
        [JsonPropertyName("conversation_id")]
        public string? ConversationId { get; set; }

        // How many messages the ledger holds, learnt on the last read; never serialised, always re-read after a restart.
        [JsonIgnore]
        public int? Count { get; set; }
    }
}
