namespace AgentLedger.Conformance;

/// <summary>Followers for completeness tests.</summary>
public static class Followers
{
    /// <summary>
    /// Follows <paramref name="ledger"/> from the start until the event with id <paramref name="sentinelId"/>,
    /// which a test appends after every writer has finished, and returns what it saw before it.
    /// </summary>
    public static Task<List<StoredEvent>> FollowUntilAsync(ILedger ledger, string sentinelId, CancellationToken cancellationToken)
        => Task.Run(async () =>
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            stop.CancelAfter(TimeSpan.FromMinutes(2));
            var seen = new List<StoredEvent>();
            await foreach (var e in ledger.FollowAsync(EventQuery.All, stop.Token))
            {
                if (e.Event.Id == sentinelId)
                {
                    break;
                }

                seen.Add(e);
            }

            return seen;
        }, cancellationToken);

    /// <summary>How many of <paramref name="stored"/> (the sentinel aside) the follower never saw.</summary>
    public static int Missed(IEnumerable<StoredEvent> stored, IEnumerable<StoredEvent> seen, string sentinelId)
        => stored.Select(s => s.Event.Id).Where(id => id != sentinelId).Except(seen.Select(s => s.Event.Id)).Count();
}
