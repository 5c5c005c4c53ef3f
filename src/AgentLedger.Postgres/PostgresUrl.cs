using System.Globalization;
using AgentLedger.Storage;
using Npgsql;

namespace AgentLedger.Postgres;

/// <summary>
/// Turns <c>postgresql://user:password@host:port/database?sslmode=require</c> (also <c>postgres://</c>,
/// <c>postgresql+psycopg://</c>) or an Npgsql connection string into a connection string and options.
/// </summary>
internal static class PostgresUrl
{
    private const string KnownParameters =
        "user, password, sslmode, channel_binding, connect_timeout, application_name, target_session_attrs, options (search_path), "
        + "schema, ordered_commits, notifications, poll_ms, retry_seconds, pool_size, pooler (transaction), command_timeout, bulk_timeout";

    public const string AcceptedForms =
        "'postgresql://user:password@host:5432/database?sslmode=require' (also 'postgres://', 'postgresql+psycopg://'), or an Npgsql connection string 'Host=...;Database=...'";

    public static LedgerUrlMatch Match(string url)
    {
        var text = url.Trim();
        if (LedgerUrls.SchemeOf(text) is { } scheme)
        {
            return scheme is "postgresql" or "postgres" || scheme.StartsWith("postgresql+", StringComparison.Ordinal) || scheme.StartsWith("postgres+", StringComparison.Ordinal)
                ? LedgerUrlMatch.Yes
                : LedgerUrlMatch.No;
        }

        // A connection string names a host; "runs;v=2.db" is a file name.
        try
        {
            // Host may come from PGHOST: a user name or database is enough to be a connection string.
            return text.Contains('=', StringComparison.Ordinal) && new NpgsqlConnectionStringBuilder(text) is var builder
                && (!string.IsNullOrEmpty(builder.Host) || !string.IsNullOrEmpty(builder.Username) || !string.IsNullOrEmpty(builder.Database))
                ? LedgerUrlMatch.Yes
                : LedgerUrlMatch.No;
        }
        catch (Exception ex) when (IsMalformed(ex))
        {
            return LedgerUrlMatch.No;
        }
    }

    // Npgsql's builder refuses a malformed string with several exception types (an unknown key is a KeyNotFoundException).
    private static bool IsMalformed(Exception ex) => ex is ArgumentException or KeyNotFoundException or FormatException or InvalidOperationException;

    /// <summary>A PostgreSQL identifier in double quotes, quotes inside doubled.</summary>
    public static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>The first schema of a search path, unquoted: <c>"Team""A", public</c> is <c>Team"A</c>.</summary>
    public static string? FirstSchema(string? searchPath)
    {
        var text = searchPath?.TrimStart();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (text[0] != '"')
        {
            return text.Split(',')[0].Trim();
        }

        var name = new System.Text.StringBuilder();
        for (var i = 1; i < text.Length; i++)
        {
            if (text[i] == '"')
            {
                if (i + 1 < text.Length && text[i + 1] == '"')
                {
                    name.Append('"');
                    i++;
                    continue;
                }

                break;
            }

            name.Append(text[i]);
        }

        return name.ToString();
    }

    /// <summary>The URL or connection string with every password masked: parsed, never matched by pattern.</summary>
    public static string Mask(string url) => LedgerUrls.SchemeOf(url) is not null ? MaskUrl(url) : MaskConnectionString(url);

    /// <summary>Masks the user-info password and any <c>password=</c> query parameter of a URL.</summary>
    public static string MaskUrl(string url)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            return "(a PostgreSQL location)";
        }

        var authorityStart = schemeEnd + 3;
        var at = UserInfoEnd(url, authorityStart);
        var queryStart = url.IndexOf('?', at < 0 ? authorityStart : at);
        var beforeQuery = queryStart < 0 ? url : url[..queryStart];
        string head;
        if (at < 0)
        {
            head = beforeQuery;
        }
        else
        {
            var colon = url.IndexOf(':', authorityStart);
            head = colon < 0 || colon > at ? beforeQuery : string.Concat(url.AsSpan(0, colon + 1), "***", url.AsSpan(at, beforeQuery.Length - at));
        }

        if (queryStart < 0)
        {
            return head;
        }

        var pairs = url[(queryStart + 1)..].Split('&');
        for (var i = 0; i < pairs.Length; i++)
        {
            var eq = pairs[i].IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(eq < 0 ? pairs[i] : pairs[i][..eq]);
            if (key.Equals("password", StringComparison.OrdinalIgnoreCase))
            {
                pairs[i] = pairs[i][..(eq < 0 ? pairs[i].Length : eq)] + "=***";
            }
        }

        return head + "?" + string.Join('&', pairs);
    }

    /// <summary>
    /// Where the user info of a URL ends (its '@'), or -1. The host follows the last '@' before the query;
    /// a password may itself hold '/', '?' or ':', and a query value may hold '@'.
    /// </summary>
    public static int UserInfoEnd(string url, int authorityStart)
    {
        var firstQuestion = url.IndexOf('?', authorityStart);
        var beforeQuestion = firstQuestion < 0 ? url.LastIndexOf('@') : url.LastIndexOf('@', firstQuestion - 1);
        if (beforeQuestion >= authorityStart)
        {
            return beforeQuestion;
        }

        // A '?' before any '@': a query without user info, or a password holding '?'. It is the latter when a host follows the last '@'.
        var last = url.LastIndexOf('@');
        if (last <= authorityStart)
        {
            return -1;
        }

        var tail = url.AsSpan(last + 1);
        var hostEnd = tail.IndexOfAny('/', '?');
        var host = hostEnd < 0 ? tail : tail[..hostEnd];
        if (host.IndexOfAny('=', '&') < 0)
        {
            return last;
        }

        // Still ambiguous (a '?' in the password and an '@' in a query value): take the first '@', so that
        // whatever could be a password lies before it and is masked. The URL may not open; nothing leaks.
        var first = url.IndexOf('@', authorityStart);
        return url.IndexOf(':', authorityStart) is var colon && colon >= 0 && colon < first ? first : -1;
    }

    /// <summary>Masks the password of a connection string by parsing it with Npgsql's own builder (every alias, quoted values).</summary>
    public static string MaskConnectionString(string connectionString)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            if (builder.Password is not null)
            {
                builder.Password = "***";
            }

            return builder.ConnectionString;
        }
        catch (Exception ex) when (IsMalformed(ex))
        {
            return "(a malformed connection string)";
        }
    }

    /// <summary>Parses a URL or connection string. Errors never contain the password.</summary>
    public static (NpgsqlConnectionStringBuilder ConnectionString, PostgresLedgerOptions Options) Parse(string url, PostgresLedgerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        try
        {
            return ParseUnchecked(url, options);
        }
        catch (Exception ex) when (IsMalformed(ex))
        {
            // Found by the property tests: a value Npgsql refuses (e.g. %00 in a password) is a malformed location,
            // and its message names the keyword, never the value.
            throw new LedgerConfigurationException($"malformed PostgreSQL location '{Mask(url)}': {ex.Message}");
        }
    }

    private static (NpgsqlConnectionStringBuilder ConnectionString, PostgresLedgerOptions Options) ParseUnchecked(string url, PostgresLedgerOptions? options)
    {
        options ??= new PostgresLedgerOptions();
        if (LedgerUrls.SchemeOf(url) is null)
        {
            try
            {
                return (new NpgsqlConnectionStringBuilder(url), options);
            }
            catch (Exception ex) when (IsMalformed(ex))
            {
                throw new LedgerConfigurationException(
                    $"malformed PostgreSQL connection string '{MaskConnectionString(url)}': {ex.Message}");
            }
        }

        var display = MaskUrl(url);
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        var userInfoEnd = UserInfoEnd(url, schemeEnd + 3);
        var userInfoText = userInfoEnd < 0 ? null : url[(schemeEnd + 3)..userInfoEnd];
        var rest = userInfoEnd < 0 ? url[(schemeEnd + 3)..] : url[(userInfoEnd + 1)..];
        var queryStart = rest.IndexOf('?', StringComparison.Ordinal);
        var query = queryStart >= 0 ? rest[(queryStart + 1)..] : string.Empty;
        rest = queryStart >= 0 ? rest[..queryStart] : rest;
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var authority = slash >= 0 ? rest[..slash] : rest;
        var database = slash >= 0 ? Uri.UnescapeDataString(rest[(slash + 1)..]) : string.Empty;

        var builder = new NpgsqlConnectionStringBuilder();
        if (userInfoText is { } userInfo)
        {
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon >= 0 ? userInfo[..colon] : userInfo);
            if (colon >= 0)
            {
                builder.Password = Uri.UnescapeDataString(userInfo[(colon + 1)..]);
            }
        }

        SetHostAndPort(builder, authority, display);
        if (database.Length > 0)
        {
            builder.Database = database;
        }

        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]).ToLowerInvariant();
            var value = eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
            options = Apply(builder, options, key, value, display);
        }

        return (builder, options);
    }

    private static void SetHostAndPort(NpgsqlConnectionStringBuilder builder, string authority, string display)
    {
        if (authority.Length == 0)
        {
            return;
        }

        // [::1]:5432, host:5432, host, and libpq's host1:5432,host2:5433 lists.
        var hosts = new List<(string Host, int? Port)>();
        foreach (var part in authority.Split(','))
        {
            var host = part;
            string? port = null;
            if (host.StartsWith('['))
            {
                var close = host.IndexOf(']', StringComparison.Ordinal);
                port = close + 1 < host.Length && host[close + 1] == ':' ? host[(close + 2)..] : null;
                host = host[1..close];
            }
            else if (host.LastIndexOf(':') is var colon and >= 0)
            {
                port = host[(colon + 1)..];
                host = host[..colon];
            }

            if (port is null)
            {
                hosts.Add((Uri.UnescapeDataString(host), null));
            }
            else if (int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= 65535)
            {
                hosts.Add((Uri.UnescapeDataString(host), number));
            }
            else
            {
                throw new LedgerConfigurationException($"malformed PostgreSQL URL '{display}': port '{port}' is not a number from 1 to 65535");
            }
        }

        if (hosts.Count == 1)
        {
            builder.Host = hosts[0].Host;
            if (hosts[0].Port is { } port)
            {
                builder.Port = port;
            }

            return;
        }

        builder.Host = string.Join(',', hosts.Select(h => h.Port is null ? h.Host : $"{h.Host}:{h.Port}"));
    }

    private static PostgresLedgerOptions Apply(NpgsqlConnectionStringBuilder builder, PostgresLedgerOptions options, string key, string value, string display)
    {
        switch (key)
        {
            case "user":
                builder.Username = value;
                return options;
            case "password":
                builder.Password = value;
                return options;
            case "sslmode":
                builder.SslMode = value.ToLowerInvariant() switch
                {
                    "disable" => SslMode.Disable,
                    "allow" => SslMode.Allow,
                    "prefer" => SslMode.Prefer,
                    "require" => SslMode.Require,
                    "verify-ca" => SslMode.VerifyCA,
                    "verify-full" => SslMode.VerifyFull,
                    _ => throw new LedgerConfigurationException($"malformed PostgreSQL URL '{display}': unknown sslmode '{value}'"),
                };
                return options;
            case "channel_binding":
                builder.ChannelBinding = value.ToLowerInvariant() switch
                {
                    "disable" => ChannelBinding.Disable,
                    "prefer" => ChannelBinding.Prefer,
                    "require" => ChannelBinding.Require,
                    _ => throw new LedgerConfigurationException($"malformed PostgreSQL URL '{display}': unknown channel_binding '{value}'"),
                };
                return options;
            case "connect_timeout":
                builder.Timeout = Positive(key, value, display);
                return options;
            case "command_timeout":
                builder.CommandTimeout = NonNegative(key, value, display);
                return options;
            case "bulk_timeout":
                return options with { BulkCommandTimeout = NonNegative(key, value, display) is var seconds && seconds > 0 ? TimeSpan.FromSeconds(seconds) : null };
            case "application_name":
                builder.ApplicationName = value;
                return options;
            case "target_session_attrs":
                builder.TargetSessionAttributes = value;
                return options;
            case "pool_size":
                builder.MaxPoolSize = Positive(key, value, display);
                return options;
            case "schema":
                // Quoted, so the schema is exactly what was written: ?schema=TeamA is "TeamA", not teama.
                builder.SearchPath = QuoteIdentifier(value);
                return options;
            case "options":
                // libpq's "-c search_path=x" is the one option a ledger URL needs.
                const string prefix = "-c search_path=";
                builder.SearchPath = value.StartsWith(prefix, StringComparison.Ordinal)
                    ? value[prefix.Length..]
                    : throw new LedgerConfigurationException($"malformed PostgreSQL URL '{display}': only options=-c search_path=... is supported");
                return options;
            case "ordered_commits":
                return options with { OrderedCommits = Bool(key, value, display) };
            case "pooler":
                return value.ToLowerInvariant() switch
                {
                    "transaction" => options with { TransactionPooler = true, Notifications = false },
                    "session" or "none" => options with { TransactionPooler = false },
                    _ => throw new LedgerConfigurationException($"malformed PostgreSQL URL '{display}': pooler must be transaction, session or none"),
                };
            case "notifications":
                return options with { Notifications = Bool(key, value, display) };
            case "poll_ms":
                return options with { FollowPollInterval = TimeSpan.FromMilliseconds(Positive(key, value, display)) };
            case "retry_seconds":
                return options with { RetryFor = TimeSpan.FromSeconds(Positive(key, value, display)) };
            default:
                throw new LedgerConfigurationException($"malformed PostgreSQL URL '{display}': unknown parameter '{key}'; known: {KnownParameters}");
        }
    }

    private static int Positive(string key, string value, string display)
        => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new LedgerConfigurationException($"malformed PostgreSQL URL '{display}': {key} must be a positive whole number");

    private static int NonNegative(string key, string value, string display)
        => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new LedgerConfigurationException($"malformed PostgreSQL URL '{display}': {key} must be a whole number of seconds (0: none)");

    private static bool Bool(string key, string value, string display) => value.ToLowerInvariant() switch
    {
        "true" or "on" or "1" or "yes" => true,
        "false" or "off" or "0" or "no" => false,
        _ => throw new LedgerConfigurationException($"malformed PostgreSQL URL '{display}': {key} must be true or false"),
    };
}
