using System.Globalization;
using Microsoft.Extensions.Logging;

namespace AgentLedger.Sqlite;

/// <summary>How durable each commit is (SQLite's <c>PRAGMA synchronous</c> under WAL).</summary>
public enum SqliteSynchronous
{
    /// <summary>The default: a commit survives a process crash; a power loss may lose the last commits, never corrupt the file.</summary>
    Normal,

    /// <summary>Each commit is flushed to disk before it is acknowledged: survives a power loss too, at a cost per commit.</summary>
    Full,
}

/// <summary>Options of the SQLite backend. In a URL: <c>sqlite:///ledger.db?synchronous=full&amp;busy_timeout_ms=10000</c>.</summary>
public sealed record SqliteLedgerOptions
{
    public SqliteSynchronous Synchronous { get; set; } = SqliteSynchronous.Normal;

    /// <summary>How long a write waits for another process's write lock before failing.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often the ledger's one change probe (<c>PRAGMA data_version</c>) looks for commits of other
    /// processes while anyone follows; appends of this process wake followers at once.
    /// </summary>
    public TimeSpan FollowPollInterval { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Create the file when it is missing; when false a missing file is an error.</summary>
    public bool CreateIfMissing { get; set; } = true;

    /// <summary>Open for reading only: nothing is written, not even a schema upgrade.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>Where migrations are logged; none when null.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Per-row calls through <see cref="SqliteNative"/> when it is available (tests turn it off to cover the SQLitePCLRaw path).</summary>
    internal bool DirectInterop { get; init; } = true;

    /// <summary>These options with a URL's query options and the open options applied.</summary>
    internal SqliteLedgerOptions With(IReadOnlyDictionary<string, string> urlOptions, LedgerOpenOptions open)
    {
        var options = this with
        {
            CreateIfMissing = open.CreateIfMissing && CreateIfMissing,
            ReadOnly = open.ReadOnly || ReadOnly,
            LoggerFactory = open.LoggerFactory ?? LoggerFactory,
        };
        foreach (var (key, value) in urlOptions)
        {
            options = key switch
            {
                "synchronous" => options with
                {
                    Synchronous = value.ToUpperInvariant() switch
                    {
                        "NORMAL" => SqliteSynchronous.Normal,
                        "FULL" => SqliteSynchronous.Full,
                        _ => throw new LedgerConfigurationException($"synchronous must be 'normal' or 'full', got '{value}'"),
                    },
                },
                "busy_timeout_ms" => options with { BusyTimeout = TimeSpan.FromMilliseconds(ParsePositive(key, value)) },
                "poll_ms" => options with { FollowPollInterval = TimeSpan.FromMilliseconds(ParsePositive(key, value)) },
                "mode" when value == "ro" => options with { ReadOnly = true },
                _ => throw new LedgerConfigurationException(
                    $"unknown SQLite option '{key}'; known: synchronous=normal|full, busy_timeout_ms=N, poll_ms=N, mode=ro"),
            };
        }

        return options;
    }

    private static int ParsePositive(string key, string value)
        => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new LedgerConfigurationException($"{key} must be a positive whole number, got '{value}'");
}
