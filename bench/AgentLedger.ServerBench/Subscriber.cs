using System.Globalization;

namespace AgentLedger.ServerBench;

/// <summary>One SSE subscriber: keeps every offset it receives, in arrival order, to check once-and-in-order.</summary>
internal sealed class Subscriber
{
    private readonly List<long> _offsets = [];
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public Task Connected => _connected.Task;

    public IReadOnlyList<long> Offsets => _offsets;

    public async Task RunAsync(HttpClient client, string path, long stopAfterCount, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        _connected.TrySetResult();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        while (Count < stopAfterCount && await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                _offsets.Add(long.Parse(line.AsSpan(4), CultureInfo.InvariantCulture));
                Interlocked.Increment(ref _count);
            }
        }
    }

    /// <summary>Null when the offsets are exactly <paramref name="expected"/>, else what is wrong.</summary>
    public string? Check(IReadOnlyList<long> expected)
    {
        if (_offsets.Count != expected.Count)
        {
            return $"received {_offsets.Count} events, expected {expected.Count}";
        }

        for (var i = 0; i < expected.Count; i++)
        {
            if (_offsets[i] != expected[i])
            {
                return $"event {i}: offset {_offsets[i]}, expected {expected[i]} (a gap, a repeat or out of order)";
            }
        }

        return null;
    }
}
