using Microsoft.Extensions.Logging;

namespace AgentLedger.Postgres;

/// <summary>Options of the PostgreSQL backend; in a URL as query parameters (see <see cref="PostgresUrl"/>).</summary>
public sealed record PostgresLedgerOptions
{
    /// <summary>
    /// Offsets become visible in commit order (an advisory lock held from drawing the offset to commit).
    /// Switching it off is only for measuring what it costs and proving what it prevents: followers may
    /// then miss events while several writers commit concurrently.
    /// </summary>
    public bool OrderedCommits { get; set; } = true;

    /// <summary>
    /// Appends NOTIFY and followers LISTEN; when off (or unavailable, e.g. behind a transaction pooler)
    /// followers only poll. Every process appending to one ledger should use the same setting.
    /// </summary>
    public bool Notifications { get; set; } = true;

    /// <summary>
    /// How often the ledger's one change probe (the latest offset) runs while anyone follows, besides
    /// LISTEN: it finds foreign writers' events and covers a pooler that drops notifications.
    /// </summary>
    public TimeSpan FollowPollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long an operation keeps retrying after the connection drops before it reports the server unreachable.</summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Create the tables when they are missing; when false a database without a ledger is an error.</summary>
    public bool CreateIfMissing { get; set; } = true;

    /// <summary>Open for reading only: no migration, every write fails.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>Where retries and migrations are logged; none when null.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}
