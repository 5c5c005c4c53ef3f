namespace AgentLedger.Conformance;

/// <summary>What a backend gives the suite: fresh empty ledgers, and the same store opened again.</summary>
public interface ILedgerBackend : IAsyncDisposable
{
    /// <summary>A new, empty ledger of its own, so a test can assert offsets exactly.</summary>
    Task<ILedger> CreateAsync(CancellationToken cancellationToken);

    /// <summary>The store of the last <see cref="CreateAsync"/> opened by a new object, or null when it is not durable.</summary>
    Task<ILedger?> ReopenAsync(CancellationToken cancellationToken);

    /// <summary>The store of the last <see cref="CreateAsync"/> opened read-only, or null when the backend has no such mode.</summary>
    Task<ILedger?> OpenReadOnlyAsync(CancellationToken cancellationToken) => Task.FromResult<ILedger?>(null);
}
