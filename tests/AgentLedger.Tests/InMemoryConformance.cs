using AgentLedger.Conformance;

namespace AgentLedger.Tests;

public sealed class InMemoryBackend : ILedgerBackend
{
    public Task<ILedger> CreateAsync(CancellationToken cancellationToken) => Task.FromResult<ILedger>(new InMemoryLedger());

    // Nothing outlives an in-memory ledger object.
    public Task<ILedger?> ReopenAsync(CancellationToken cancellationToken) => Task.FromResult<ILedger?>(null);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

public sealed class InMemoryAppend : AppendContract<InMemoryBackend>;

public sealed class InMemoryRead : ReadContract<InMemoryBackend>;

public sealed class InMemoryFollow : FollowContract<InMemoryBackend>;

public sealed class InMemoryConcurrency : ConcurrencyContract<InMemoryBackend>;

public sealed class InMemoryResetAndCopy : ResetAndCopyContract<InMemoryBackend>;

public sealed class InMemoryRoles : RolesContract<InMemoryBackend>;
