using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace AgentLedger.Extensions.AI;

public sealed partial class LedgerChatClient
{
    /// <summary>
    /// Yields every update as it arrives and records the call once, when the stream ends: usage usually
    /// arrives in a <see cref="UsageContent"/> of a late update. A consumer that stops early still gets a
    /// record (<c>stopped_early</c>), and a stream that throws records <c>model.failed</c> with what had arrived.
    /// </summary>
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var request = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var call = BeginCall(messages, request, options);
        if (await RecordedAnswerAsync(call, cancellationToken).ConfigureAwait(false) is { } recorded)
        {
            foreach (var update in recorded.ToChatResponseUpdates())
            {
                yield return update;
            }

            yield break;
        }

        await RecordToolResultsAsync(call, request).ConfigureAwait(false);
        var updates = new List<ChatResponseUpdate>();
        Exception? failure = null;
        var ended = false;
        IAsyncEnumerator<ChatResponseUpdate> stream;
        try
        {
            stream = base.GetStreamingResponseAsync(request, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        }
        catch (Exception ex)
        {
            await RecordFailureAsync(call, request, options, ex, partial: null, streaming: true).ConfigureAwait(false);
            throw;
        }

        try
        {
            while (true)
            {
                try
                {
                    if (!await stream.MoveNextAsync().ConfigureAwait(false))
                    {
                        ended = true;
                        break;
                    }
                }
                catch (Exception ex)
                {
                    failure = ex;
                    throw;
                }

                updates.Add(stream.Current);
                yield return stream.Current;
            }
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            var response = updates.ToChatResponse();
            if (failure is not null)
            {
                await RecordFailureAsync(call, request, options, failure, response, streaming: true).ConfigureAwait(false);
            }
            else
            {
                await RecordResponseAsync(call, request, options, response, streaming: true, stoppedEarly: !ended).ConfigureAwait(false);
            }
        }
    }
}
