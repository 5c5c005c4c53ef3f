using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentLedger.Server;

/// <summary>What the server logs: the request line and the error's kind and (masked) message; never a key or a body.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(1, LogLevel.Warning, "ledger storage error ({Kind}) on {Method} {Path}: {Message}")]
    public static partial void StorageError(ILogger logger, LedgerErrorKind kind, string method, PathString path, string message);

    [LoggerMessage(2, LogLevel.Warning, "no ledger at the configured location, on {Method} {Path}")]
    public static partial void NotFound(ILogger logger, string method, PathString path);

    [LoggerMessage(3, LogLevel.Error, "unexpected error on {Method} {Path}")]
    public static partial void Unexpected(ILogger logger, Exception exception, string method, PathString path);
}
