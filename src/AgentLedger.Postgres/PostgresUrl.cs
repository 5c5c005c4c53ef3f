using System.Globalization;
using Npgsql;

namespace AgentLedger.Postgres;

/// <summary>
/// Turns <c>postgresql://user:password@host:port/database?sslmode=require</c> (also <c>postgres://</c>,
/// <c>postgresql+psycopg://</c>) or an Npgsql connection string into a connection string and options.
/// </summary>
public static class PostgresUrl
{
    private const string KnownParameters =
        "sslmode, channel_binding, connect_timeout, application_name, target_session_attrs, options (search_path), "
        + "schema, ordered_commits, notifications, poll_ms, retry_seconds, pool_size";

    /// <summary>Parses a URL or connection string. Errors never contain the password.</summary>
    public static (NpgsqlConnectionStringBuilder ConnectionString, PostgresLedgerOptions Options) Parse(string url, PostgresLedgerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        options ??= new PostgresLedgerOptions();
        if (!url.Contains("://", StringComparison.Ordinal))
        {
            try
            {
                return (new NpgsqlConnectionStringBuilder(url), options);
            }
            catch (ArgumentException ex)
            {
                throw new LedgerConfigurationException(
                    $"malformed PostgreSQL connection string '{LedgerLocation.MaskConnectionStringPassword(url)}': {ex.Message}");
            }
        }

        var display = LedgerLocation.MaskUrlPassword(url);
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        var rest = url[(schemeEnd + 3)..];
        var queryStart = rest.IndexOf('?', StringComparison.Ordinal);
        var query = queryStart >= 0 ? rest[(queryStart + 1)..] : string.Empty;
        rest = queryStart >= 0 ? rest[..queryStart] : rest;
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var authority = slash >= 0 ? rest[..slash] : rest;
        var database = slash >= 0 ? Uri.UnescapeDataString(rest[(slash + 1)..]) : string.Empty;

        var builder = new NpgsqlConnectionStringBuilder();
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = authority[..at];
            authority = authority[(at + 1)..];
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
            else if (int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                hosts.Add((Uri.UnescapeDataString(host), number));
            }
            else
            {
                throw new LedgerConfigurationException($"malformed PostgreSQL URL '{display}': port '{port}' is not a number");
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
                builder.SearchPath = value;
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

    private static bool Bool(string key, string value, string display) => value.ToLowerInvariant() switch
    {
        "true" or "on" or "1" or "yes" => true,
        "false" or "off" or "0" or "no" => false,
        _ => throw new LedgerConfigurationException($"malformed PostgreSQL URL '{display}': {key} must be true or false"),
    };
}
