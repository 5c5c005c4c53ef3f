namespace AgentLedger;

/// <summary>An event as the ledger holds it: the envelope and the offset the store gave it.</summary>
/// <param name="Offset">The store-assigned serial position: the one global order of the log.</param>
/// <param name="Event">The immutable envelope.</param>
public sealed record StoredEvent(long Offset, LedgerEvent Event)
{
    public override string ToString() => $"#{Offset} {Event}";
}
