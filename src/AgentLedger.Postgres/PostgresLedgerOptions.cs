using Microsoft.Extensions.Logging;

namespace AgentLedger.Postgres;

/// <summary>Options of the PostgreSQL backend; in a URL as query parameters (see <see cref="PostgresUrl"/>).</summary>
public sealed record PostgresLedgerOptions
{
    /// <summary>
    /// Serialise appends so that offsets become visible in the order they were drawn (each append holds an
    /// advisory lock exclusively from drawing its offset to its commit). Off by default: AgentLedger's own
    /// followers are exact with concurrent commits. On only for <em>foreign</em> readers that follow with a
    /// naive <c>offset &gt; n</c> (the reference's <c>tail()</c>); it caps the whole fleet at one commit at a time.
    /// </summary>
    public bool OrderedCommits { get; set; }

    /// <summary>
    /// The server is reached through a pooler in transaction mode (PgBouncer <c>pool_mode=transaction</c>, Supabase's
    /// port 6543, Neon's <c>-pooler</c> host): no server-side prepared statements (the next transaction may run on
    /// another server connection), and no LISTEN (it would not stay on one connection), so followers poll.
    /// In a URL: <c>?pooler=transaction</c>.
    /// </summary>
    public bool TransactionPooler { get; set; }

    /// <summary>
    /// How long one statement of a batch append, an import or a restore may run (their size is the caller's);
    /// null (the default) for no limit: a batch of a million events is slow, not broken. Ordinary statements
    /// keep the connection's command timeout (30 s; <c>?command_timeout=</c>). In a URL: <c>?bulk_timeout=SECONDS</c>.
    /// </summary>
    public TimeSpan? BulkCommandTimeout { get; set; }

    /// <summary>For the tests that prove the horizon matters: follow up to the latest offset, as a naive reader would.</summary>
    internal bool NaiveFollow { get; init; }

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
