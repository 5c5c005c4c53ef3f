using Microsoft.Extensions.Logging;

namespace AgentLedger;

/// <summary>
/// Opens ledgers by URL with the backends it was given: <c>Ledger.Create().UseSqlite().UsePostgres()</c>
/// (the <c>Use…</c> methods live in the backend packages). Without any, it opens <c>:memory:</c> only.
/// No registry, no reflection: what can be opened is what was added here.
/// </summary>
public sealed class LedgerBuilder : ILedgerProviderCollection
{
    private readonly List<ILedgerProvider> _providers = [new InMemoryLedgerProvider()];
    private ILoggerFactory? _loggerFactory;

    /// <summary>The backends this builder can open, in the order they were added.</summary>
    public IReadOnlyList<ILedgerProvider> Providers => _providers;

    public void AddProvider(ILedgerProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        _providers.Add(provider);
    }

    /// <summary>Adds a backend; returns this builder for chaining.</summary>
    public LedgerBuilder Use(ILedgerProvider provider)
    {
        AddProvider(provider);
        return this;
    }

    /// <summary>Where the opened ledgers log retries and migrations.</summary>
    public LedgerBuilder UseLoggerFactory(ILoggerFactory? loggerFactory)
    {
        _loggerFactory = loggerFactory;
        return this;
    }

    /// <summary>The provider that serves <paramref name="url"/>.</summary>
    /// <exception cref="LedgerConfigurationException">No URL, or no backend added here serves it; the message lists the accepted forms.</exception>
    public ILedgerProvider ProviderFor(string? url) => LedgerProviders.Select(_providers, url);

    /// <summary><paramref name="url"/> as it may be printed: any password masked.</summary>
    public string Describe(string? url) => LedgerProviders.Describe(_providers, url);

    /// <summary>Opens the ledger at <paramref name="url"/>.</summary>
    public ValueTask<ILedger> OpenAsync(string? url, LedgerOpenOptions? options = null, CancellationToken cancellationToken = default)
    {
        var provider = ProviderFor(url);
        options ??= LedgerOpenOptions.Default;
        if (options.LoggerFactory is null && _loggerFactory is not null)
        {
            options = options with { LoggerFactory = _loggerFactory };
        }

        return provider.OpenAsync(url!.Trim(), options, cancellationToken);
    }

    /// <summary>Opens the ledger named by <c>DATABASE_URL</c>.</summary>
    /// <exception cref="LedgerConfigurationException">The variable is not set.</exception>
    public ValueTask<ILedger> OpenFromEnvironmentAsync(LedgerOpenOptions? options = null, CancellationToken cancellationToken = default)
    {
        var url = Environment.GetEnvironmentVariable(Ledger.DatabaseUrlVariable);
        if (string.IsNullOrWhiteSpace(url))
        {
            throw new LedgerConfigurationException($"{Ledger.DatabaseUrlVariable} is not set; {LedgerProviders.AcceptedForms(_providers)}");
        }

        return OpenAsync(url, options, cancellationToken);
    }
}

/// <summary>Choosing among providers: shared by <see cref="LedgerBuilder"/> and the hosted ledgers.</summary>
internal static class LedgerProviders
{
    public static ILedgerProvider Select(IReadOnlyList<ILedgerProvider> providers, string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            throw new LedgerConfigurationException($"no ledger location given; {AcceptedForms(providers)}");
        }

        var text = url.Trim();
        ILedgerProvider? fallback = null;
        for (var i = providers.Count - 1; i >= 0; i--)
        {
            switch (providers[i].Match(text))
            {
                case LedgerUrlMatch.Yes:
                    return providers[i];
                case LedgerUrlMatch.Fallback:
                    fallback ??= providers[i];
                    break;
            }
        }

        return fallback ?? throw new LedgerConfigurationException(
            $"no backend added here serves '{MaskUnknown(text)}' (add its package and call UseSqlite() / UsePostgres() on the builder); {AcceptedForms(providers)}");
    }

    public static string Describe(IReadOnlyList<ILedgerProvider> providers, string? url)
    {
        try
        {
            return Select(providers, url).Describe(url!.Trim());
        }
        catch (LedgerConfigurationException)
        {
            return MaskUnknown(url ?? string.Empty);
        }
    }

    public static string AcceptedForms(IReadOnlyList<ILedgerProvider> providers)
        => "accepted forms: " + string.Join("; ", providers.Select(p => p.AcceptedForms));

    // A location nobody claims may still hold a secret: show only its scheme.
    private static string MaskUnknown(string url)
    {
        if (Storage.LedgerUrls.SchemeOf(url) is { } scheme)
        {
            return scheme + "://…";
        }

        var secretFrom = url.AsSpan().IndexOfAny(":@;=");
        return secretFrom < 0 ? url : string.Concat(url.AsSpan(0, secretFrom), "…");
    }
}
