namespace AgentLedger;

/// <summary>The base of every error AgentLedger raises on purpose; catch a subclass to act on one kind.</summary>
public abstract class LedgerException : Exception
{
    protected LedgerException(string message) : base(message) { }

    protected LedgerException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>An envelope field broke its rule; nothing was written.</summary>
public sealed class InvalidEventException(string field, string rule, string message)
    : LedgerException($"invalid event: {field}: {message}")
{
    /// <summary>The envelope field, in the stored (snake_case) spelling, e.g. <c>kind</c>.</summary>
    public string Field { get; } = field;

    /// <summary>The rule that was broken, e.g. <c>^[a-z][a-z0-9]*(\.[a-z][a-z0-9]*)+\z</c> or <c>≥ 0</c>.</summary>
    public string Rule { get; } = rule;
}

/// <summary>A line of a JSON Lines trace could not be read; nothing from that file was written.</summary>
public sealed class JsonlFormatException(long lineNumber, string reason, Exception? innerException = null)
    : LedgerException($"line {lineNumber}: {reason}", innerException)
{
    /// <summary>The 1-based line number in the file.</summary>
    public long LineNumber { get; } = lineNumber;

    public string Reason { get; } = reason;
}

/// <summary>The ledger's location (URL, path, options) is missing or malformed, or no backend serves it.</summary>
public sealed class LedgerConfigurationException(string message) : LedgerException(message);

/// <summary>There is no ledger at the location (no file, no table) and creating one was not allowed.</summary>
public sealed class LedgerNotFoundException(string location, string message)
    : LedgerException($"{location}: {message}")
{
    /// <summary>Where the ledger was looked for (never with a password).</summary>
    public string Location { get; } = location;
}

/// <summary>What went wrong with the store, so a caller (or an HTTP server) can react by kind, not by message.</summary>
public enum LedgerErrorKind
{
    /// <summary>Anything not named below.</summary>
    Other,

    /// <summary>The server cannot be reached, or stayed unreachable for the retry period. Transient.</summary>
    Unavailable,

    /// <summary>The server refused the login.</summary>
    Authentication,

    /// <summary>Logged in, but not allowed to do this (privileges, file permissions).</summary>
    PermissionDenied,

    /// <summary>The store, or this ledger object, is read-only.</summary>
    ReadOnly,

    /// <summary>Another writer held a lock longer than the busy timeout. Transient.</summary>
    Busy,

    /// <summary>The file or table is damaged.</summary>
    Corrupt,

    /// <summary>The file or database is something other than a ledger (not a SQLite file, a foreign table).</summary>
    NotALedger,

    /// <summary>The store's layout is newer than this version of AgentLedger knows.</summary>
    NewerLayout,

    /// <summary>The disk (or the database's quota) is full.</summary>
    DiskFull,

    /// <summary>The store holds a value the envelope cannot carry (a foreign row out of range).</summary>
    InvalidData,

    /// <summary>A single statement ran longer than the configured command timeout.</summary>
    Timeout,
}

/// <summary>
/// The store itself failed. <see cref="Kind"/> says how; <see cref="Location"/> never contains a password.
/// </summary>
public sealed class LedgerStorageException(LedgerErrorKind kind, string location, string message, Exception? innerException = null)
    : LedgerException($"{location}: {message}", innerException)
{
    public LedgerErrorKind Kind { get; } = kind;

    public string Location { get; } = location;

    /// <summary>True when trying again later may succeed (unavailable, busy, timeout).</summary>
    public bool IsTransient => Kind is LedgerErrorKind.Unavailable or LedgerErrorKind.Busy or LedgerErrorKind.Timeout;
}

/// <summary>A restore (copy with offsets kept) met an offset or id the destination cannot take; nothing was written.</summary>
public sealed class RestoreConflictException(string location, long offset, string id, string message)
    : LedgerException($"{location}: {message}")
{
    public string Location { get; } = location;

    /// <summary>The offset of the event that could not be restored.</summary>
    public long Offset { get; } = offset;

    /// <summary>The id of the event that could not be restored.</summary>
    public string Id { get; } = id;
}

/// <summary>A copy with offsets kept was asked to write into a ledger that already holds events; nothing was written.</summary>
public sealed class DestinationNotEmptyException(string location)
    : LedgerException($"cannot copy into {location}: it already holds events; copy into an empty ledger, or merge (new offsets, known ids skipped)")
{
    public string Location { get; } = location;
}
