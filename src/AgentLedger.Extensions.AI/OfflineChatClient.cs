using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace AgentLedger.Extensions.AI;

/// <summary>
/// A deterministic model that needs no network, for demos and tests of a pipeline: it answers with what
/// <c>respond</c> writes, reports <see cref="ModelId"/> as the model that answered, estimates plausible usage
/// (about four characters a token, with seeded jitter) and, given a <see cref="SimulatedClock"/>, advances it by
/// a plausible latency. The same seed and the same calls give the same answers, usage and latencies.
/// </summary>
public sealed class OfflineChatClient : IChatClient
{
    private readonly Func<IReadOnlyList<ChatMessage>, string> _respond;
    private readonly SimulatedClock? _clock;
    private readonly Random _random;
    private readonly Lock _gate = new();
    private int _calls;

    public OfflineChatClient(string modelId, Func<IReadOnlyList<ChatMessage>, string> respond, int seed = 0, SimulatedClock? clock = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        ArgumentNullException.ThrowIfNull(respond);
        ModelId = modelId;
        _respond = respond;
        _clock = clock;
        _random = new Random(seed);
    }

    public string ModelId { get; }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var (text, usage, id) = Answer(messages);
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, text) { MessageId = id })
        {
            ModelId = ModelId,
            ResponseId = id,
            FinishReason = ChatFinishReason.Stop,
            Usage = usage,
        });
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (text, usage, id) = Answer(messages);
        foreach (var word in text.Split(' '))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, word + " ") { ModelId = ModelId, ResponseId = id, MessageId = id };
        }

        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(usage)])
        {
            ModelId = ModelId,
            ResponseId = id,
            MessageId = id,
            FinishReason = ChatFinishReason.Stop,
        };
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("offline", null, ModelId)
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    public void Dispose()
    {
    }

    private (string Text, UsageDetails Usage, string Id) Answer(IEnumerable<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var request = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var text = _respond(request);
        var promptChars = request.Sum(m => m.Text.Length);
        lock (_gate)
        {
            var call = ++_calls;
            var input = (promptChars / 4) + (12 * request.Count) + _random.Next(40, 400);
            var output = (text.Length / 4) + _random.Next(4, 60);
            _clock?.Advance(TimeSpan.FromMilliseconds(120 + (output * 9) + _random.Next(0, 180)));
            var usage = new UsageDetails { InputTokenCount = input, OutputTokenCount = output, TotalTokenCount = input + output };
            return (text, usage, $"offline-{ModelId.Replace('/', '-')}-{call}");
        }
    }
}
