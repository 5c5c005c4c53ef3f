namespace AgentLedger;

/// <summary>Which kind of store a location names.</summary>
public enum LedgerStoreKind
{
    /// <summary><c>:memory:</c>: the in-memory backend.</summary>
    Memory,

    /// <summary>A SQLite file: a bare path, <c>sqlite:///relative.db</c> or <c>sqlite:////absolute.db</c>.</summary>
    SqliteFile,

    /// <summary><c>sqlite://</c>: a private in-memory SQLite database.</summary>
    SqliteMemory,

    /// <summary><c>postgresql://</c>, <c>postgres://</c>, <c>postgresql+driver://</c>, or an Npgsql connection string.</summary>
    Postgres,
}

/// <summary>A parsed ledger URL or path. Its <see cref="ToString"/> never shows a password.</summary>
public sealed record LedgerLocation
{
    /// <summary>What an error shows to say which forms are accepted.</summary>
    public const string AcceptedForms =
        "accepted forms: ':memory:', a file path such as 'agentledger.db', 'sqlite:///relative.db', "
        + "'sqlite:////absolute/path.db', 'sqlite://' (in-memory SQLite), "
        + "'postgresql://user:password@host:5432/database?sslmode=require' (also 'postgres://', 'postgresql+psycopg://'), "
        + "or an Npgsql connection string 'Host=...;Database=...'";

    private LedgerLocation(LedgerStoreKind kind, string target, IReadOnlyDictionary<string, string> options, string original, string display)
    {
        Kind = kind;
        Target = target;
        Options = options;
        Original = original;
        Display = display;
    }

    public LedgerStoreKind Kind { get; }

    /// <summary>The file path (SQLite), or the URL or connection string as given (PostgreSQL).</summary>
    public string Target { get; }

    /// <summary>Query-string options of a SQLite URL (e.g. <c>?synchronous=full</c>), keys lower-case.</summary>
    public IReadOnlyDictionary<string, string> Options { get; }

    /// <summary>The text as given, password included: pass it to drivers, never to logs.</summary>
    public string Original { get; }

    /// <summary>The location with any password replaced by <c>***</c>.</summary>
    public string Display { get; }

    public override string ToString() => Display;

    /// <summary>Parses a URL, path or connection string.</summary>
    /// <exception cref="LedgerConfigurationException">Missing, or an unknown scheme; the message lists the accepted forms.</exception>
    public static LedgerLocation Parse(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            throw new LedgerConfigurationException($"no ledger location given; {AcceptedForms}");
        }

        var text = url.Trim();
        var empty = new Dictionary<string, string>();
        if (text == ":memory:")
        {
            return new(LedgerStoreKind.Memory, text, empty, text, text);
        }

        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd > 0)
        {
            var scheme = text[..schemeEnd].ToLowerInvariant();
            var rest = text[(schemeEnd + 3)..];
            if (scheme == "sqlite")
            {
                return ParseSqlite(text, rest);
            }

            if (scheme is "postgresql" or "postgres" || scheme.StartsWith("postgresql+", StringComparison.Ordinal) || scheme.StartsWith("postgres+", StringComparison.Ordinal))
            {
                return new(LedgerStoreKind.Postgres, text, empty, text, MaskUrlPassword(text));
            }

            throw new LedgerConfigurationException($"unknown ledger URL scheme '{scheme}://'; {AcceptedForms}");
        }

        if (LooksLikeConnectionString(text))
        {
            return new(LedgerStoreKind.Postgres, text, empty, text, MaskConnectionStringPassword(text));
        }

        if (text.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            throw new LedgerConfigurationException($"malformed SQLite URL '{text}'; {AcceptedForms}");
        }

        return new(LedgerStoreKind.SqliteFile, text, empty, text, text);
    }

    private static LedgerLocation ParseSqlite(string original, string rest)
    {
        var query = rest.IndexOf('?', StringComparison.Ordinal);
        var options = query >= 0 ? ParseQuery(rest[(query + 1)..]) : new Dictionary<string, string>();
        var path = query >= 0 ? rest[..query] : rest;
        if (path.Length == 0)
        {
            return new(LedgerStoreKind.SqliteMemory, ":memory:", options, original, original);
        }

        if (path[0] != '/')
        {
            throw new LedgerConfigurationException(
                $"malformed SQLite URL '{original}': a host is not allowed, write 'sqlite:///relative.db' or 'sqlite:////absolute.db'; {AcceptedForms}");
        }

        // sqlite:///relative.db -> "relative.db"; sqlite:////abs.db -> "/abs.db" (SQLAlchemy's rule).
        path = Uri.UnescapeDataString(path[1..]);
        if (path.Length == 0)
        {
            throw new LedgerConfigurationException($"malformed SQLite URL '{original}': no file path; {AcceptedForms}");
        }

        return path == ":memory:"
            ? new(LedgerStoreKind.SqliteMemory, ":memory:", options, original, original)
            : new(LedgerStoreKind.SqliteFile, path, options, original, original);
    }

    private static Dictionary<string, string> ParseQuery(string query)
    {
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]).ToLowerInvariant();
            var value = eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..]);
            options[key] = value;
        }

        return options;
    }

    private static bool LooksLikeConnectionString(string text)
        => text.Contains('=', StringComparison.Ordinal)
           && (text.Contains(';', StringComparison.Ordinal) || text.StartsWith("host=", StringComparison.OrdinalIgnoreCase)
               || text.StartsWith("server=", StringComparison.OrdinalIgnoreCase));

    /// <summary>Replaces the password of <c>scheme://user:password@host</c> with <c>***</c>.</summary>
    public static string MaskUrlPassword(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            return url;
        }

        var authorityStart = schemeEnd + 3;
        var at = url.LastIndexOf('@');
        if (at < authorityStart)
        {
            return url;
        }

        var colon = url.IndexOf(':', authorityStart);
        return colon < 0 || colon > at ? url : string.Concat(url.AsSpan(0, colon + 1), "***", url.AsSpan(at));
    }

    /// <summary>Replaces the value of <c>Password=</c> in a connection string with <c>***</c>.</summary>
    public static string MaskConnectionStringPassword(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        var parts = connectionString.Split(';');
        for (var i = 0; i < parts.Length; i++)
        {
            var eq = parts[i].IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                var key = parts[i][..eq].Trim();
                if (key.Equals("password", StringComparison.OrdinalIgnoreCase) || key.Equals("pwd", StringComparison.OrdinalIgnoreCase))
                {
                    parts[i] = parts[i][..(eq + 1)] + "***";
                }
            }
        }

        return string.Join(';', parts);
    }
}
