using System.Collections.Concurrent;

namespace AgentLedger;

/// <summary>Opens a backend that can serve a parsed <see cref="LedgerLocation"/>.</summary>
public interface ILedgerProvider
{
    /// <summary>Whether this provider serves locations of <paramref name="kind"/>.</summary>
    bool CanOpen(LedgerStoreKind kind);

    ValueTask<ILedger> OpenAsync(LedgerLocation location, LedgerOpenOptions options, CancellationToken cancellationToken);
}

/// <summary>How to open a store.</summary>
public sealed record LedgerOpenOptions
{
    public static LedgerOpenOptions Default { get; } = new();

    /// <summary>Create the store (file, table) when it does not exist yet. When false, a missing store is an error.</summary>
    public bool CreateIfMissing { get; init; } = true;

    /// <summary>Open for reading only: no schema upgrade, every write fails.</summary>
    public bool ReadOnly { get; init; }
}

/// <summary>
/// The one entry point: opens a ledger from a URL, a path or <c>DATABASE_URL</c>. Backends plug in
/// through <see cref="ILedgerProvider"/>, so this package needs no database driver: the SQLite and
/// PostgreSQL packages are found by name when they are deployed beside it, or registered by hand.
/// </summary>
public static class Ledger
{
    /// <summary>The environment variable that names the store.</summary>
    public const string DatabaseUrlVariable = "DATABASE_URL";

    private static readonly ConcurrentDictionary<LedgerStoreKind, ILedgerProvider> Providers = new();

    private static readonly Dictionary<LedgerStoreKind, (string Type, string Package)> KnownProviders = new()
    {
        [LedgerStoreKind.SqliteFile] = ("AgentLedger.Sqlite.SqliteLedgerProvider, AgentLedger.Sqlite", "AgentLedger.Sqlite"),
        [LedgerStoreKind.SqliteMemory] = ("AgentLedger.Sqlite.SqliteLedgerProvider, AgentLedger.Sqlite", "AgentLedger.Sqlite"),
        [LedgerStoreKind.Postgres] = ("AgentLedger.Postgres.PostgresLedgerProvider, AgentLedger.Postgres", "AgentLedger.Postgres"),
    };

    /// <summary>Registers a backend for the kinds it serves (replacing any earlier one).</summary>
    public static void Register(ILedgerProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        foreach (var kind in Enum.GetValues<LedgerStoreKind>())
        {
            if (provider.CanOpen(kind))
            {
                Providers[kind] = provider;
            }
        }
    }

    /// <summary>Opens the ledger at <paramref name="url"/> (see <see cref="LedgerLocation.AcceptedForms"/>).</summary>
    public static ValueTask<ILedger> OpenAsync(string? url, CancellationToken cancellationToken = default)
        => OpenAsync(url, LedgerOpenOptions.Default, cancellationToken);

    /// <summary>Opens the ledger at <paramref name="url"/> with <paramref name="options"/>.</summary>
    public static ValueTask<ILedger> OpenAsync(string? url, LedgerOpenOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var location = LedgerLocation.Parse(url);
        if (location.Kind == LedgerStoreKind.Memory)
        {
            return ValueTask.FromResult<ILedger>(new InMemoryLedger());
        }

        return ProviderFor(location.Kind).OpenAsync(location, options, cancellationToken);
    }

    /// <summary>Opens the ledger named by <c>DATABASE_URL</c>.</summary>
    /// <exception cref="LedgerConfigurationException">The variable is not set.</exception>
    public static ValueTask<ILedger> OpenFromEnvironmentAsync(CancellationToken cancellationToken = default)
    {
        var url = Environment.GetEnvironmentVariable(DatabaseUrlVariable);
        if (string.IsNullOrWhiteSpace(url))
        {
            throw new LedgerConfigurationException($"{DatabaseUrlVariable} is not set; {LedgerLocation.AcceptedForms}");
        }

        return OpenAsync(url, cancellationToken);
    }

    private static ILedgerProvider ProviderFor(LedgerStoreKind kind)
    {
        if (Providers.TryGetValue(kind, out var provider))
        {
            return provider;
        }

        var (typeName, package) = KnownProviders[kind];
        var type = Type.GetType(typeName, throwOnError: false)
            ?? throw new LedgerConfigurationException($"a {kind} location needs the {package} package: reference it, or call Ledger.Register");
        Register((ILedgerProvider)Activator.CreateInstance(type)!);
        return Providers[kind];
    }
}
