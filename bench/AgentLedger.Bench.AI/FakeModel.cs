using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace AgentLedger.Bench.AI;

/// <summary>
/// A model that takes <see cref="Latency"/> and answers a fixed text with usage, the same object for every call
/// so the model itself allocates nothing per call. The latency is a spin, not <c>Task.Delay</c>: a 1 ms timer
/// fires after 1 to 5 ms on this machine, which would drown the difference being measured.
/// </summary>
internal sealed class FakeModel(TimeSpan latency) : IChatClient
{
    private readonly ChatResponse _response = new(new ChatMessage(ChatRole.Assistant, "The lantern was taken to light the mill at night."))
    {
        ModelId = "fake/model-1",
        FinishReason = ChatFinishReason.Stop,
        Usage = new UsageDetails { InputTokenCount = 420, OutputTokenCount = 42, TotalTokenCount = 462 },
    };

    public TimeSpan Latency => latency;

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var until = Stopwatch.GetTimestamp() + (long)(latency.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < until)
        {
            Thread.SpinWait(20);
        }

        return Task.FromResult(_response);
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var update in (await GetResponseAsync(messages, options, cancellationToken)).ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
