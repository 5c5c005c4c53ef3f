using System.Text.Json;
using System.Text.Json.Nodes;
using AgentLedger.Extensions.AI;
using Microsoft.Agents.AI.Workflows;
using Microsoft.Agents.AI.Workflows.Checkpointing;

namespace AgentLedger.Agents;

/// <summary>
/// A workflow checkpoint store whose checkpoints are ledger events (<c>workflow.checkpointed</c>, one per
/// checkpoint, in the run named by the workflow's session id, with the parent's id). Use it with
/// <c>CheckpointManager.CreateJson(new LedgerCheckpointStore(ledger))</c>; after a crash a new store over the same
/// ledger lists the checkpoints (<see cref="RetrieveIndexAsync"/>) and the workflow resumes from the last one.
/// </summary>
/// <remarks>
/// Every call reads the ledger: nothing is cached in the process, so the store is exactly as durable as the
/// ledger. A checkpoint's id is a hash of (session, parent, state): a process that re-creates the same
/// checkpoint after a restart records a duplicate, not a second one. The store's interface takes no
/// cancellation token (Agent Framework 1.28), so its reads and appends cannot be cancelled.
/// </remarks>
public sealed class LedgerCheckpointStore(ILedger ledger) : JsonCheckpointStore
{
    /// <summary>The kind of the events that hold the checkpoints.</summary>
    public const string CheckpointKind = "workflow.checkpointed";

    private readonly ILedger _ledger = ledger ?? throw new ArgumentNullException(nameof(ledger));

    public override async ValueTask<CheckpointInfo> CreateCheckpointAsync(string sessionId, JsonElement value, CheckpointInfo? parent = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionId);
        var state = value.GetRawText();
        var checkpointId = EventIds.Of(sessionId, parent?.CheckpointId ?? "", state);
        var payload = new JsonObject
        {
            ["checkpoint_id"] = checkpointId,
            ["parent_id"] = parent?.CheckpointId,
            ["state"] = JsonNode.Parse(state),
        };
        var scope = LedgerScope.Current;
        await _ledger.AppendAsync(new LedgerEvent(sessionId, scope?.Turn ?? 0, CheckpointKind, "workflow", payload, checkpointId, sessionId: scope?.Run.SessionId), CancellationToken.None)
            .ConfigureAwait(false);
        return new CheckpointInfo(sessionId, checkpointId);
    }

    public override async ValueTask<JsonElement> RetrieveCheckpointAsync(string sessionId, CheckpointInfo key)
    {
        ArgumentNullException.ThrowIfNull(key);
        await foreach (var stored in _ledger.ReadAsync(new EventQuery { RunId = sessionId, Kind = CheckpointKind }, CancellationToken.None).ConfigureAwait(false))
        {
            var payload = stored.Event.PayloadElement;
            if (Text(payload, "checkpoint_id") == key.CheckpointId)
            {
                return payload.GetProperty("state").Clone();
            }
        }

        throw new KeyNotFoundException($"no checkpoint '{key.CheckpointId}' of session '{sessionId}' in {_ledger.Description}");
    }

    public override async ValueTask<IEnumerable<CheckpointInfo>> RetrieveIndexAsync(string sessionId, CheckpointInfo? withParent = null)
    {
        var index = new List<CheckpointInfo>();
        await foreach (var stored in _ledger.ReadAsync(new EventQuery { RunId = sessionId, Kind = CheckpointKind }, CancellationToken.None).ConfigureAwait(false))
        {
            var payload = stored.Event.PayloadElement;
            if (withParent is null || Text(payload, "parent_id") == withParent.CheckpointId)
            {
                index.Add(new CheckpointInfo(sessionId, Text(payload, "checkpoint_id")!));
            }
        }

        return index;
    }

    private static string? Text(JsonElement payload, string name)
        => payload.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
