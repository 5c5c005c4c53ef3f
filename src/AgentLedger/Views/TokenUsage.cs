using System.Text.Json;

namespace AgentLedger;

/// <summary>
/// The token convention of payloads: an event that carries a model call has
/// <c>usage.input_tokens</c> and <c>usage.output_tokens</c> (or only <c>usage.total_tokens</c>).
/// A run's total is <c>tokens</c> on <c>run.finished</c>; it is never added to the per-event usage.
/// </summary>
public static class TokenUsage
{
    /// <summary>The tokens one event's model call used; 0 when the payload has no usage.</summary>
    public static long Of(LedgerEvent ledgerEvent)
    {
        ArgumentNullException.ThrowIfNull(ledgerEvent);

        // Most payloads have no usage: skip parsing them.
        if (!ledgerEvent.Payload.Contains("\"usage\"", StringComparison.Ordinal))
        {
            return 0;
        }

        var payload = ledgerEvent.PayloadElement;
        if (!payload.TryGetProperty("usage", out var usage) || usage.ValueKind != JsonValueKind.Object)
        {
            return 0;
        }

        var input = Number(usage, "input_tokens");
        var output = Number(usage, "output_tokens");
        return input + output > 0 ? input + output : Number(usage, "total_tokens");
    }

    private static long Number(JsonElement usage, string name)
        => usage.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) && n > 0 ? n : 0;
}
