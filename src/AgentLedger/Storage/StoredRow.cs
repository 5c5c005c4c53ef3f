namespace AgentLedger.Storage;

/// <summary>For backends: rebuilds events from stored rows, and checks what callers hand in.</summary>
public static class StoredRow
{
    /// <summary>
    /// Rebuilds an event from a stored row without re-validating it: rows were validated when written
    /// (or by the reference system), and re-checking millions of rows on every read would cost more than
    /// the read itself. Values a store cannot trust (a foreign row) are checked by the backend first.
    /// </summary>
    public static StoredEvent ToStoredEvent(
        long offset, string id, string runId, int turn, string kind, string actor, string payload,
        DateTimeOffset createdAt, int schemaVersion, string? sessionId, string? modelProfile, string? modelId)
        => new(offset, LedgerEvent.FromStore(id, runId, turn, kind, actor, payload, createdAt, schemaVersion, sessionId, modelProfile, modelId));

    /// <summary>
    /// Takes a batch whole before anything is written: a throwing enumerator or a null entry leaves the
    /// ledger untouched, with the same exception on every backend.
    /// </summary>
    /// <exception cref="ArgumentException">An entry is null.</exception>
    public static IReadOnlyList<LedgerEvent> Materialize(IEnumerable<LedgerEvent> events, string parameterName = "events")
    {
        ArgumentNullException.ThrowIfNull(events, parameterName);
        var batch = events as IReadOnlyList<LedgerEvent> ?? [.. events];
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch[i] is null)
            {
                throw new ArgumentException($"a batch must not contain null (entry {i} is null); nothing was written", parameterName);
            }
        }

        return batch;
    }
}
