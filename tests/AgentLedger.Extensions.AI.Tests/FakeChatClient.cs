using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace AgentLedger.Extensions.AI.Tests;

/// <summary>
/// A model of our own for tests (M.E.AI ships none): answers from a script of steps, in order, and remembers
/// what it was asked. A step may answer text, ask for a tool, throw, or wait for cancellation.
/// </summary>
internal sealed class FakeChatClient(params FakeStep[] script) : IChatClient
{
    private readonly Queue<FakeStep> _script = new(script);

    public List<List<ChatMessage>> Requests { get; } = [];

    public string? DefaultModelId { get; init; }

    public TimeSpan Delay { get; init; }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var step = Next(messages);
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, cancellationToken);
        }

        return await step.RunAsync(cancellationToken);
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var step = Next(messages);
        var response = await step.RunAsync(cancellationToken);
        var words = response.Text.Split(' ');
        for (var i = 0; i < words.Length; i++)
        {
            await Task.Yield();
            if (step.ThrowAfterWords == i)
            {
                throw new InvalidOperationException("the stream broke");
            }

            yield return new ChatResponseUpdate(ChatRole.Assistant, i == 0 ? words[i] : " " + words[i]) { ModelId = response.ModelId, ResponseId = response.ResponseId };
        }

        // Usage arrives last, as most providers send it.
        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(response.Usage!)]) { FinishReason = response.FinishReason, ModelId = response.ModelId };
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
        => serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("fake", null, DefaultModelId) : serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    private FakeStep Next(IEnumerable<ChatMessage> messages)
    {
        lock (_script)
        {
            Requests.Add([.. messages]);
            return _script.Count > 1 ? _script.Dequeue() : _script.Peek();
        }
    }
}

/// <summary>One scripted answer.</summary>
internal sealed record FakeStep(string Text, string? ModelId = "fake/model-1", int Input = 10, int Output = 5)
{
    public Exception? Throws { get; init; }

    public bool WaitsForCancellation { get; init; }

    public FunctionCallContent? CallsTool { get; init; }

    public int? ThrowAfterWords { get; init; }

    public async Task<ChatResponse> RunAsync(CancellationToken cancellationToken)
    {
        if (WaitsForCancellation)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        if (Throws is not null)
        {
            throw Throws;
        }

        var message = CallsTool is not null ? new ChatMessage(ChatRole.Assistant, [CallsTool]) : new ChatMessage(ChatRole.Assistant, Text);
        return new ChatResponse(message)
        {
            ModelId = ModelId,
            ResponseId = "resp-" + Text.Length,
            FinishReason = CallsTool is not null ? ChatFinishReason.ToolCalls : ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = Input, OutputTokenCount = Output, TotalTokenCount = Input + Output, CachedInputTokenCount = 3 },
        };
    }
}
