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

    [Fact]
    public async Task ListRunsFromAsync_walks_every_run_from_a_cursor_in_pages_that_double_up_to_the_cap()
    {
        var ledger = new CountingReader(new InMemoryLedger());
        for (var r = 0; r < 50; r++)
        {
            await ledger.Inner.AppendAsync(TestEvents.Make($"run-{r:D2}", 0, id: $"e{r}"), Ct);
        }

        var all = await ledger.Inner.ListRunsAsync(new RunListQuery { Limit = 10_000 }, Ct).ToListAsync(Ct);
        Assert.Equal(all, await ledger.ListRunsFromAsync(new RunListQuery { Limit = 3 }, maxPage: 8, Ct).ToListAsync(Ct));
        Assert.Equal([3, 6, 8, 8, 8, 8, 8, 8], ledger.Limits); // 3 + 6 + 8 × 6 = 57 ≥ 50: the last page comes back short

        ledger.Limits.Clear();
        Assert.Equal(all[..20].AsEnumerable().Reverse(), await ledger.ListRunsFromAsync(new RunListQuery { NewestFirst = true, Before = all[20].FirstOffset, Limit = 4 }, cancellationToken: Ct).ToListAsync(Ct));
        Assert.Equal([4, 8, 16], ledger.Limits);
        Assert.Equal(all[31..], await ledger.ListRunsFromAsync(new RunListQuery { After = all[30].FirstOffset, Limit = 100 }, cancellationToken: Ct).ToListAsync(Ct));
        Assert.Throws<ArgumentOutOfRangeException>(() => ledger.ListRunsFromAsync(new RunListQuery(), maxPage: 0, Ct));
    }

    /// <summary>Records the page size of every run listing it passes on.</summary>
    private sealed class CountingReader(InMemoryLedger inner) : ILedgerReader
    {
        public InMemoryLedger Inner => inner;

        public List<int> Limits { get; } = [];

        public LedgerDescription Description => inner.Description;

        public IAsyncEnumerable<StoredEvent> ReadAsync(EventQuery query, CancellationToken cancellationToken = default) => inner.ReadAsync(query, cancellationToken);

        public IAsyncEnumerable<StoredEvent> ReadBackwardAsync(EventQuery query, CancellationToken cancellationToken = default) => inner.ReadBackwardAsync(query, cancellationToken);

        public IAsyncEnumerable<StoredEvent> FollowAsync(EventQuery query, CancellationToken cancellationToken = default) => inner.FollowAsync(query, cancellationToken);

        public IAsyncEnumerable<string> ListRunsAsync(CancellationToken cancellationToken = default) => inner.ListRunsAsync(cancellationToken);

        public IAsyncEnumerable<RunEntry> ListRunsAsync(RunListQuery query, CancellationToken cancellationToken = default)
        {
            Limits.Add(query.Limit);
            return inner.ListRunsAsync(query, cancellationToken);
        }

        public ValueTask<long> LatestOffsetAsync(CancellationToken cancellationToken = default) => inner.LatestOffsetAsync(cancellationToken);

        public ValueTask<long> CountAsync(CancellationToken cancellationToken = default) => inner.CountAsync(cancellationToken);
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
