using AgentLedger.Storage;

namespace AgentLedger.Sqlite;

/// <summary>SQLite locations: a bare path, <c>sqlite:///relative.db</c>, <c>sqlite:////absolute.db</c>, <c>sqlite://</c> (a throw-away file).</summary>
internal sealed record SqliteUrl(string? Path, IReadOnlyDictionary<string, string> Options)
{
    public const string AcceptedForms =
        "a SQLite file path such as 'agentledger.db', 'sqlite:///relative.db', 'sqlite:////absolute/path.db' (options: ?synchronous=full, busy_timeout_ms=N, poll_ms=N, mode=ro), 'sqlite://' (a throw-away file)";

    /// <summary>A throw-away ledger (<c>sqlite://</c>, <c>sqlite:///:memory:</c>).</summary>
    public bool IsTemporary => Path is null;

    public static LedgerUrlMatch Match(string url)
    {
        var text = url.Trim();
        if (text.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            return LedgerUrlMatch.Yes;
        }

        // Any other scheme (also a mistyped "postgres:/…"), or a key=value connection string, is not a path;
        // nor is anything that names a password: taken for a file name, it would end up on disk and in messages.
        if (text.Length == 0 || text == ":memory:" || LedgerUrls.SchemeOf(text) is not null || text.IndexOf(":/", StringComparison.Ordinal) > 1 || LooksLikeKeyValues(text)
            || text.Contains("password", StringComparison.OrdinalIgnoreCase) || text.Contains("pwd=", StringComparison.OrdinalIgnoreCase))
        {
            return LedgerUrlMatch.No;
        }

        return LedgerUrlMatch.Fallback;
    }

    public static SqliteUrl Parse(string url)
    {
        var text = url.Trim();
        if (!text.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            return new(text, new Dictionary<string, string>());
        }

        if (!text.StartsWith("sqlite://", StringComparison.OrdinalIgnoreCase))
        {
            throw new LedgerConfigurationException($"malformed SQLite URL '{text}'; write 'sqlite:///relative.db' or 'sqlite:////absolute.db'");
        }

        var rest = text["sqlite://".Length..];
        var query = rest.IndexOf('?', StringComparison.Ordinal);
        var options = query >= 0 ? ParseQuery(rest[(query + 1)..]) : new Dictionary<string, string>();
        var path = query >= 0 ? rest[..query] : rest;
        if (path.Length == 0)
        {
            return new(null, options);
        }

        if (path[0] != '/')
        {
            throw new LedgerConfigurationException(
                $"malformed SQLite URL '{text}': a host is not allowed, write 'sqlite:///relative.db' or 'sqlite:////absolute.db'");
        }

        // sqlite:///relative.db -> "relative.db"; sqlite:////abs.db -> "/abs.db" (SQLAlchemy's rule).
        path = Uri.UnescapeDataString(path[1..]);
        if (path.Length == 0)
        {
            throw new LedgerConfigurationException($"malformed SQLite URL '{text}': no file path");
        }

        return new(path == ":memory:" ? null : path, options);
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

    // "Host=db;Username=x" is a connection string; "runs;v=2.db" is a file name: it needs a known first key.
    private static bool LooksLikeKeyValues(string text)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            return false;
        }

        var firstKey = text[..eq].Trim();
        return firstKey.Equals("host", StringComparison.OrdinalIgnoreCase) || firstKey.Equals("server", StringComparison.OrdinalIgnoreCase)
            || firstKey.Equals("data source", StringComparison.OrdinalIgnoreCase) || text.Contains(";host=", StringComparison.OrdinalIgnoreCase)
            || text.Contains("; host=", StringComparison.OrdinalIgnoreCase);
    }
}
