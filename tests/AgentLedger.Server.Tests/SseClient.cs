using System.Globalization;
using System.Text.Json;

namespace AgentLedger.Server.Tests;

/// <summary>One Server-Sent Event as a client sees it.</summary>
public sealed record SseMessage(string? Id, string Data)
{
    public long Offset => long.Parse(Id!, CultureInfo.InvariantCulture);

    public JsonElement Json => JsonDocument.Parse(Data).RootElement;
}

/// <summary>A minimal SSE reader over a real HTTP response: events, and the comments (heartbeats) between them.</summary>
public sealed class SseClient : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseClient(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public HttpResponseMessage Response => _response;

    public int Comments { get; private set; }

    public static async Task<SseClient> OpenAsync(HttpClient client, string path, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        var stream = await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken);
        return new SseClient(response, new StreamReader(stream));
    }

    /// <summary>The next event, or null when the stream ended.</summary>
    public async Task<SseMessage?> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(10));
        string? id = null;
        var data = new List<string>();
        while (await _reader.ReadLineAsync(cts.Token) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Count > 0)
                {
                    return new SseMessage(id, string.Join('\n', data));
                }

                continue;
            }

            if (line.StartsWith(':'))
            {
                Comments++;
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = line[4..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Add(line[6..]);
            }
        }

        return null;
    }

    public async Task<List<SseMessage>> TakeAsync(int count)
    {
        var messages = new List<SseMessage>(count);
        while (messages.Count < count)
        {
            messages.Add(await NextAsync() ?? throw new InvalidOperationException($"the stream ended after {messages.Count} of {count} events"));
        }

        return messages;
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
