namespace AgentLedger;

/// <summary>The base of every error AgentLedger raises on purpose.</summary>
public class LedgerException : Exception
{
    public LedgerException(string message) : base(message) { }

    public LedgerException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>An envelope field broke its rule; nothing was written.</summary>
public sealed class InvalidEventException(string field, string rule, string message)
    : LedgerException($"invalid event: {field}: {message}")
{
    /// <summary>The envelope field, in the stored (snake_case) spelling, e.g. <c>kind</c>.</summary>
    public string Field { get; } = field;

    /// <summary>The rule that was broken, e.g. <c>^[a-z][a-z0-9]*(\.[a-z][a-z0-9]*)+$</c> or <c>≥ 0</c>.</summary>
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

/// <summary>The ledger's location (URL, path, options) is missing or malformed.</summary>
public sealed class LedgerConfigurationException(string message) : LedgerException(message);

/// <summary>There is no ledger at the location (no file, no table) and creating one was not allowed.</summary>
public sealed class LedgerNotFoundException(string location, string message)
    : LedgerException($"{location}: {message}")
{
    /// <summary>Where the ledger was looked for (never with a password).</summary>
    public string Location { get; } = location;
}

/// <summary>
/// The store itself failed: not a database, corrupt, unreachable, read-only, written by a newer version.
/// <see cref="Location"/> never contains a password.
/// </summary>
public sealed class LedgerStorageException(string location, string message, Exception? innerException = null)
    : LedgerException($"{location}: {message}", innerException)
{
    public string Location { get; } = location;
}
