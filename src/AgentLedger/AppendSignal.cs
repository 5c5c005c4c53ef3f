namespace AgentLedger;

/// <summary>Wakes followers in this process when an append commits.</summary>
/// <remarks>
/// Take <see cref="Next"/> before looking for new events, then await it: an append that lands in
/// between completes the task already taken, so no wake-up is lost.
/// </remarks>
internal sealed class AppendSignal
{
    private TaskCompletionSource _next = NewSource();

    public Task Next => Volatile.Read(ref _next).Task;

    public void Notify() => Interlocked.Exchange(ref _next, NewSource()).TrySetResult();

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
