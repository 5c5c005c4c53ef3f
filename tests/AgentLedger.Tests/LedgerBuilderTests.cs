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

        public string Name => "acme";

        public string AcceptedForms => "'acme://name'";

        public LedgerUrlMatch Match(string url) => url.StartsWith("acme://", StringComparison.Ordinal) ? LedgerUrlMatch.Yes : LedgerUrlMatch.No;

        public string Describe(string url) => "acme://***";

        public ValueTask<ILedger> OpenAsync(string url, LedgerOpenOptions options, CancellationToken cancellationToken = default)
            => Fails
                ? throw new LedgerStorageException(LedgerErrorKind.Unavailable, Describe(url), "the acme store is down")
                : ValueTask.FromResult<ILedger>(new InMemoryLedger());
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
