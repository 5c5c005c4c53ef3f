using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Xunit;

namespace AgentLedger.Tests;

public sealed class LedgerBuilderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_bare_builder_opens_memory_and_names_what_is_missing_for_anything_else()
    {
        await using var memory = await Ledger.OpenAsync(":memory:", cancellationToken: Ct);
        Assert.IsType<InMemoryLedger>(memory);

        var error = await Assert.ThrowsAsync<LedgerConfigurationException>(async () => await Ledger.OpenAsync("postgresql://u:s3cret@h/db", cancellationToken: Ct));
        Assert.Contains("UsePostgres()", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public async Task A_missing_location_lists_the_accepted_forms(string? url)
    {
        var error = await Assert.ThrowsAsync<LedgerConfigurationException>(async () => await Ledger.OpenAsync(url, cancellationToken: Ct));
        Assert.Contains("accepted forms", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_third_party_backend_plugs_in_with_the_public_api_alone()
    {
        var provider = new ThirdPartyProvider();
        await using var ledger = await Ledger.Create().Use(provider).OpenAsync("acme://store", cancellationToken: Ct);

        await ledger.AppendAsync(new LedgerEvent("r", 0, "agent.spoke", "fox", "{}"), Ct);
        Assert.Equal(1, await ledger.CountAsync(Ct));
        Assert.Equal("acme://***", Ledger.Create().Use(provider).Describe("acme://store"));
    }

    [Fact]
    public async Task Services_resolve_one_ledger_for_every_role_and_dispose_it_with_the_host()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddAgentLedger(o => o.Url = ":memory:");
        services.AddHealthChecks().AddAgentLedger();
        ILedger ledger;
        await using (var provider = services.BuildServiceProvider())
        {
            ledger = provider.GetRequiredService<ILedger>();
            Assert.Same(ledger, provider.GetRequiredService<ILedgerReader>());
            Assert.Same(ledger, provider.GetRequiredService<ILedgerWriter>());
            Assert.Same(ledger, provider.GetRequiredService<ILedgerMaintenance>());

            await provider.GetRequiredService<ILedgerWriter>().AppendAsync(new LedgerEvent("r", 0, "agent.spoke", "fox", "{}"), Ct);
            Assert.Equal(1, await provider.GetRequiredService<ILedgerReader>().CountAsync(Ct));

            var health = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(Ct);
            Assert.Equal(HealthStatus.Healthy, health.Status);
            Assert.Equal(1L, health.Entries["agentledger"].Data["latest_offset"]);
        }

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await ledger.CountAsync(Ct));
    }

    [Fact]
    public async Task Named_ledgers_are_keyed_services_and_names_with_the_same_url_share_one_object()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddAgentLedger("audit", o => o.Url = ":memory:");
        services.AddAgentLedger("audit-copy", o => o.Url = ":memory:");
        services.AddAgentLedger("other", o => o.Url = " :memory:");
        await using var provider = services.BuildServiceProvider();

        var audit = provider.GetRequiredKeyedService<ILedgerReader>("audit");
        Assert.Same(audit, provider.GetRequiredKeyedService<ILedgerWriter>("audit-copy"));
        await provider.GetRequiredKeyedService<ILedgerWriter>("audit").AppendAsync(new LedgerEvent("r", 0, "agent.spoke", "fox", "{}"), Ct);
        Assert.Equal(1, await audit.CountAsync(Ct));
    }

    [Fact]
    public async Task An_unreachable_ledger_makes_the_health_check_unhealthy_without_a_secret()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddAgentLedger(o => o.Url = "acme://down").UseThirdParty(new ThirdPartyProvider { Fails = true });
        services.AddHealthChecks().AddAgentLedger();
        await using var provider = services.BuildServiceProvider();

        var health = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(Ct);

        Assert.Equal(HealthStatus.Unhealthy, health.Status);
        Assert.Contains("acme://***", health.Entries["agentledger"].Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hosted_ledger_hands_a_run_page_to_its_backend_instead_of_listing_every_run()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddAgentLedger(o => o.Url = "acme://store").UseThirdParty(new ThirdPartyProvider { PagesOnly = true });
        await using var provider = services.BuildServiceProvider();
        foreach (var run in new[] { "a", "b", "c" })
        {
            await provider.GetRequiredService<ILedgerWriter>().AppendAsync(new LedgerEvent(run, 0, "agent.spoke", "fox", "{}"), Ct);
        }

        var reader = provider.GetRequiredService<ILedgerReader>();
        Assert.Equal(
            [new RunEntry("c", 3), new RunEntry("b", 2)],
            await reader.ListRunsAsync(new RunListQuery { NewestFirst = true, Limit = 2 }, Ct).ToListAsync(Ct));
        Assert.Equal([new RunEntry("c", 3)], await reader.ListRunsAsync(new RunListQuery { After = 2 }, Ct).ToListAsync(Ct));
    }

    [Theory]
    [InlineData(-1L, null, null)]
    [InlineData(0L, -1L, null)]
    [InlineData(0L, null, -1)]
    public void A_query_with_a_negative_offset_or_limit_is_refused_when_it_is_built(long after, long? upTo, int? limit)
        => Assert.Throws<ArgumentOutOfRangeException>(() => new EventQuery { After = after, UpTo = upTo, Limit = limit });

    /// <summary>A backend written by someone else, with nothing but the public API (the in-memory ledger stands in for its store).</summary>
    private sealed class ThirdPartyProvider : ILedgerProvider
    {
        public bool Fails { get; init; }

        /// <summary>A store whose run pages are its own and whose whole run listing must not be read.</summary>
        public bool PagesOnly { get; init; }

        public string Name => "acme";

        public string AcceptedForms => "'acme://name'";

        public LedgerUrlMatch Match(string url) => url.StartsWith("acme://", StringComparison.Ordinal) ? LedgerUrlMatch.Yes : LedgerUrlMatch.No;

        public string Describe(string url) => "acme://***";

        public ValueTask<ILedger> OpenAsync(string url, LedgerOpenOptions options, CancellationToken cancellationToken = default)
            => Fails
                ? throw new LedgerStorageException(LedgerErrorKind.Unavailable, Describe(url), "the acme store is down")
                : ValueTask.FromResult<ILedger>(PagesOnly ? new PagesOnlyLedger(new InMemoryLedger()) : new InMemoryLedger());
    }

    /// <summary>Every member passed on, but the whole run listing refused: a caller that wants a page must ask for a page.</summary>
    private sealed class PagesOnlyLedger(InMemoryLedger inner) : ILedger
    {
        public LedgerDescription Description => inner.Description;

        public IAsyncEnumerable<StoredEvent> ReadAsync(EventQuery query, CancellationToken cancellationToken = default) => inner.ReadAsync(query, cancellationToken);

        public IAsyncEnumerable<StoredEvent> ReadBackwardAsync(EventQuery query, CancellationToken cancellationToken = default) => inner.ReadBackwardAsync(query, cancellationToken);

        public IAsyncEnumerable<string> ListRunsAsync(CancellationToken cancellationToken = default)
            => throw new InvalidOperationException("the whole run listing was read where a page was asked for");

        public IAsyncEnumerable<RunEntry> ListRunsAsync(RunListQuery query, CancellationToken cancellationToken = default) => inner.ListRunsAsync(query, cancellationToken);

        public ValueTask<long> LatestOffsetAsync(CancellationToken cancellationToken = default) => inner.LatestOffsetAsync(cancellationToken);

        public ValueTask<long> CountAsync(CancellationToken cancellationToken = default) => inner.CountAsync(cancellationToken);

        public IAsyncEnumerable<StoredEvent> FollowAsync(EventQuery query, CancellationToken cancellationToken = default) => inner.FollowAsync(query, cancellationToken);

        public ValueTask<AppendResult> AppendAsync(LedgerEvent ledgerEvent, CancellationToken cancellationToken = default) => inner.AppendAsync(ledgerEvent, cancellationToken);

        public ValueTask<IReadOnlyList<AppendResult>> AppendBatchAsync(IEnumerable<LedgerEvent> events, CancellationToken cancellationToken = default) => inner.AppendBatchAsync(events, cancellationToken);

        public ValueTask<ImportResult> ImportAsync(IAsyncEnumerable<LedgerEvent> events, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
            => inner.ImportAsync(events, progress, cancellationToken);

        public ValueTask<long> RestoreAsync(IAsyncEnumerable<StoredEvent> events, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
            => inner.RestoreAsync(events, progress, cancellationToken);

        public ValueTask ResetAsync(CancellationToken cancellationToken = default) => inner.ResetAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}

internal static class ThirdPartyBuilderExtensions
{
    public static TBuilder UseThirdParty<TBuilder>(this TBuilder builder, ILedgerProvider provider)
        where TBuilder : ILedgerProviderCollection
    {
        builder.AddProvider(provider);
        return builder;
    }
}
