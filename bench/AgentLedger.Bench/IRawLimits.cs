namespace AgentLedger.Bench;

/// <summary>
/// The plainest code the same database allows, run right after the matching AgentLedger phase so both
/// meet the same machine state (page cache, disk, JIT).
/// </summary>
internal interface IRawLimits : IAsyncDisposable
{
    Task SingleAppendsAsync(int trial);

    Task BulkLoadAsync();

    Task ReadAllAsync();
}
