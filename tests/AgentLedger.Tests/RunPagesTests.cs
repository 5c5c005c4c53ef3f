using AgentLedger.Conformance;
using Xunit;

namespace AgentLedger.Tests;

/// <summary>A reader written by someone else, without its own run pages, still pages runs (the interface's default).</summary>
public sealed class RunPagesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_reader_without_its_own_run_pages_gets_the_same_pages_from_the_default()
    {
        await using var ledger = new InMemoryLedger();
        foreach (var (run, turn) in new[] { ("b", 0), ("a", 0), ("b", 1), ("c", 0), ("a", 1), ("d", 0) })
        {
            await ledger.AppendAsync(TestEvents.Make(run, turn, id: $"{run}{turn}"), Ct);
        }

        ILedgerReader foreign = new ForeignReader(ledger);
        foreach (var query in new[]
        {
            new RunListQuery { Limit = 2 },
            new RunListQuery { After = 2, Limit = 10 },
            new RunListQuery { NewestFirst = true, Limit = 3 },
            new RunListQuery { NewestFirst = true, Before = 4, Limit = 10 },
        })
        {
            Assert.Equal(await ledger.ListRunsAsync(query, Ct).ToListAsync(Ct), await foreign.ListRunsAsync(query, Ct).ToListAsync(Ct));
        }

        Assert.Equal([new RunEntry("b", 1), new RunEntry("a", 2)], await foreign.ListRunsAsync(new RunListQuery { Limit = 2 }, Ct).ToListAsync(Ct));
    }

    /// <summary>Every member but the paged run listing, passed on.</summary>
    private sealed class ForeignReader(ILedgerReader inner) : ILedgerReader
    {
        public LedgerDescription Description => inner.Description;

        public IAsyncEnumerable<StoredEvent> ReadAsync(EventQuery query, CancellationToken cancellationToken = default) => inner.ReadAsync(query, cancellationToken);

        public IAsyncEnumerable<StoredEvent> ReadBackwardAsync(EventQuery query, CancellationToken cancellationToken = default) => inner.ReadBackwardAsync(query, cancellationToken);

        public IAsyncEnumerable<string> ListRunsAsync(CancellationToken cancellationToken = default) => inner.ListRunsAsync(cancellationToken);

        public ValueTask<long> LatestOffsetAsync(CancellationToken cancellationToken = default) => inner.LatestOffsetAsync(cancellationToken);

        public ValueTask<long> CountAsync(CancellationToken cancellationToken = default) => inner.CountAsync(cancellationToken);

        public IAsyncEnumerable<StoredEvent> FollowAsync(EventQuery query, CancellationToken cancellationToken = default) => inner.FollowAsync(query, cancellationToken);
    }
}
