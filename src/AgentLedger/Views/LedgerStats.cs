namespace AgentLedger;

/// <summary>What per-group statistics are grouped by.</summary>
public enum StatsGrouping
{
    Model,
    Actor,
    Kind,
    Session,
}

/// <summary>One group's share of the log.</summary>
public sealed record StatsRow(string Key, long Events, long Tokens, double EventShare, double TokenShare);

/// <summary>Per-model (or actor, kind, session) attribution: events and tokens, streamed in constant memory per group.</summary>
public static class LedgerStats
{
    /// <summary>The key events without a value fall under (no model, no session).</summary>
    public const string None = "(none)";

    public static async Task<IReadOnlyList<StatsRow>> ComputeAsync(
        ILedgerReader ledger, StatsGrouping grouping, EventQuery? query = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        var groups = new Dictionary<string, (long Events, long Tokens)>(StringComparer.Ordinal);
        long events = 0, tokens = 0;
        await foreach (var stored in ledger.ReadAsync(query ?? EventQuery.All, cancellationToken).ConfigureAwait(false))
        {
            var e = stored.Event;
            var key = grouping switch
            {
                StatsGrouping.Model => e.ModelId,
                StatsGrouping.Actor => e.Actor,
                StatsGrouping.Kind => e.Kind,
                _ => e.SessionId,
            } ?? None;
            var used = TokenUsage.Of(e);
            var (groupEvents, groupTokens) = groups.GetValueOrDefault(key);
            groups[key] = (groupEvents + 1, groupTokens + used);
            events++;
            tokens += used;
        }

        return [.. groups
            .Select(g => new StatsRow(g.Key, g.Value.Events, g.Value.Tokens,
                events == 0 ? 0 : (double)g.Value.Events / events, tokens == 0 ? 0 : (double)g.Value.Tokens / tokens))
            .OrderByDescending(r => r.Tokens).ThenByDescending(r => r.Events).ThenBy(r => r.Key, StringComparer.Ordinal)];
    }
}
