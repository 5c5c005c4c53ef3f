using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace AgentLedger;

/// <summary>Registers ledgers in a host's services.</summary>
public static class AgentLedgerServiceCollectionExtensions
{
    /// <summary>
    /// Registers the default ledger: <see cref="ILedger"/> and its roles (<see cref="ILedgerReader"/>,
    /// <see cref="ILedgerWriter"/>, <see cref="ILedgerMaintenance"/>) resolve to one long-lived object,
    /// opened on first use and disposed with the host. Add backends on the returned builder:
    /// <c>services.AddAgentLedger(o =&gt; o.Url = url).UseSqlite().UsePostgres()</c>.
    /// </summary>
    public static AgentLedgerServiceBuilder AddAgentLedger(this IServiceCollection services, Action<AgentLedgerOptions>? configure = null)
        => services.AddAgentLedger(Options.DefaultName, configure);

    /// <summary>
    /// Registers a named ledger, resolved as a keyed service (<c>[FromKeyedServices("audit")] ILedgerReader</c>).
    /// Names that configure the same URL share one ledger object.
    /// </summary>
    public static AgentLedgerServiceBuilder AddAgentLedger(this IServiceCollection services, string name, Action<AgentLedgerOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(name);
        services.AddOptions();
        if (configure is not null)
        {
            services.Configure(name, configure);
        }

        services.TryAddSingleton<LedgerPool>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILedgerProvider, InMemoryLedgerProvider>());
        if (name == Options.DefaultName)
        {
            services.TryAddSingleton<ILedger>(sp => sp.GetRequiredService<LedgerPool>().Get(name));
            services.TryAddSingleton<ILedgerReader>(sp => sp.GetRequiredService<ILedger>());
            services.TryAddSingleton<ILedgerWriter>(sp => sp.GetRequiredService<ILedger>());
            services.TryAddSingleton<ILedgerMaintenance>(sp => sp.GetRequiredService<ILedger>());
        }
        else
        {
            services.TryAddKeyedSingleton<ILedger>(name, (sp, _) => sp.GetRequiredService<LedgerPool>().Get(name));
            services.TryAddKeyedSingleton<ILedgerReader>(name, (sp, key) => sp.GetRequiredKeyedService<ILedger>(key));
            services.TryAddKeyedSingleton<ILedgerWriter>(name, (sp, key) => sp.GetRequiredKeyedService<ILedger>(key));
            services.TryAddKeyedSingleton<ILedgerMaintenance>(name, (sp, key) => sp.GetRequiredKeyedService<ILedger>(key));
        }

        return new AgentLedgerServiceBuilder(services, name);
    }

    /// <summary>A health check that reads the ledger's latest offset (default ledger, or the one named).</summary>
    public static IHealthChecksBuilder AddAgentLedger(
        this IHealthChecksBuilder builder, string? ledgerName = null, string? checkName = null,
        HealthStatus? failureStatus = null, IEnumerable<string>? tags = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var name = ledgerName ?? Options.DefaultName;
        return builder.Add(new HealthCheckRegistration(
            checkName ?? (name.Length == 0 ? "agentledger" : $"agentledger-{name}"),
            sp => new AgentLedgerHealthCheck(sp.GetRequiredService<LedgerPool>().Get(name)),
            failureStatus,
            tags,
            timeout ?? TimeSpan.FromSeconds(5)));
    }
}

/// <summary>Returned by <c>AddAgentLedger</c>: add backends (<c>.UseSqlite()</c>, <c>.UsePostgres()</c>) here.</summary>
public sealed class AgentLedgerServiceBuilder(IServiceCollection services, string name) : ILedgerProviderCollection
{
    public IServiceCollection Services { get; } = services;

    /// <summary>The ledger's name (empty for the default one).</summary>
    public string Name { get; } = name;

    public void AddProvider(ILedgerProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        Services.AddSingleton(provider);
    }
}

/// <summary>Healthy when the ledger answers (its latest offset is reported); unhealthy with the error's message (never a password).</summary>
internal sealed class AgentLedgerHealthCheck(ILedger ledger) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var latest = await ledger.LatestOffsetAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy(
                ledger.Description.ToString(),
                new Dictionary<string, object> { ["backend"] = ledger.Description.Backend, ["latest_offset"] = latest });
        }
        catch (LedgerException ex)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, ex.Message);
        }
    }
}
