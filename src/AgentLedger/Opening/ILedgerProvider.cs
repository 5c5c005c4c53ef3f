using Microsoft.Extensions.Logging;

namespace AgentLedger;

/// <summary>How strongly a provider claims a ledger URL.</summary>
public enum LedgerUrlMatch
{
    /// <summary>Not this provider's.</summary>
    No,

    /// <summary>This provider's if nobody claims it outright (a bare file path).</summary>
    Fallback,

    /// <summary>This provider's (its scheme, or its connection-string shape).</summary>
    Yes,
}

/// <summary>
/// A backend: claims the URLs it serves and opens ledgers for them. Third-party backends implement this
/// with the public API alone and plug into <see cref="LedgerBuilder"/> and <c>AddAgentLedger</c>.
/// </summary>
public interface ILedgerProvider
{
    /// <summary>The backend's short name, e.g. <c>sqlite</c>.</summary>
    string Name { get; }

    /// <summary>The URL forms this provider accepts, for error messages.</summary>
    string AcceptedForms { get; }

    /// <summary>Whether <paramref name="url"/> is one of this provider's.</summary>
    LedgerUrlMatch Match(string url);

    /// <summary><paramref name="url"/> as it may be printed: any password masked.</summary>
    string Describe(string url);

    /// <summary>Opens (creating or upgrading, unless told otherwise) the ledger at <paramref name="url"/>.</summary>
    ValueTask<ILedger> OpenAsync(string url, LedgerOpenOptions options, CancellationToken cancellationToken = default);
}

/// <summary>Anything that collects providers: <see cref="LedgerBuilder"/>, and the builder of <c>services.AddAgentLedger()</c>.</summary>
public interface ILedgerProviderCollection
{
    /// <summary>Adds a backend; for the same URL, a provider added later wins over one added earlier.</summary>
    void AddProvider(ILedgerProvider provider);
}

/// <summary>How to open a store.</summary>
public sealed record LedgerOpenOptions
{
    public static LedgerOpenOptions Default { get; } = new();

    /// <summary>Create the store (file, table) when it does not exist yet. When false, a missing store is a <see cref="LedgerNotFoundException"/>.</summary>
    public bool CreateIfMissing { get; init; } = true;

    /// <summary>Open for reading only: no schema upgrade, every write fails.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>Where backends log retries and migrations; none when null.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}
