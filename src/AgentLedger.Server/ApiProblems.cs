using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentLedger.Server;

/// <summary>RFC 7807 answers, and the one place storage errors become HTTP statuses (by kind, never by message).</summary>
internal static class ApiProblems
{
    public static ProblemHttpResult BadRequest(string detail, IDictionary<string, object?>? extensions = null)
        => TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "bad request", extensions: extensions);

    public static ProblemHttpResult Parameter(string name, string rule)
        => BadRequest($"{name}: {rule}", new Dictionary<string, object?> { ["parameter"] = name });

    public static ProblemHttpResult NotFound(string detail)
        => TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "not found");

    /// <summary>
    /// Maps what the ledger raised. The answer names the kind and says what to do; it never carries the
    /// exception's message or stack (a location, even masked, is the operator's business, not the client's).
    /// </summary>
    public static IResult FromException(HttpContext http, Exception ex)
    {
        var log = http.RequestServices.GetService<ILoggerFactory>()?.CreateLogger("AgentLedger.Server");
        switch (ex)
        {
            case LedgerStorageException storage:
                // The message names a masked location only: safe for the operator's log.
                if (log is not null)
                {
                    ServerLog.StorageError(log, storage.Kind, http.Request.Method, http.Request.Path, storage.Message);
                }

                var (status, detail) = storage.Kind switch
                {
                    LedgerErrorKind.Unavailable => (503, "the ledger's store cannot be reached; try again shortly"),
                    LedgerErrorKind.Busy => (503, "the ledger's store is busy; try again shortly"),
                    LedgerErrorKind.Timeout => (504, "the ledger's store did not answer in time"),
                    LedgerErrorKind.ReadOnly => (409, "the ledger's store is read-only"),
                    LedgerErrorKind.DiskFull => (507, "the ledger's store is full"),
                    _ => (500, "the ledger's store failed"),
                };
                if (storage.IsTransient)
                {
                    http.Response.Headers.RetryAfter = storage.Kind == LedgerErrorKind.Busy ? "1" : "5";
                }

                return TypedResults.Problem(detail, statusCode: status, title: "storage error",
                    extensions: new Dictionary<string, object?> { ["kind"] = KindName(storage.Kind), ["transient"] = storage.IsTransient });
            case LedgerNotFoundException:
                if (log is not null)
                {
                    ServerLog.NotFound(log, http.Request.Method, http.Request.Path);
                }

                return TypedResults.Problem("there is no ledger here yet", statusCode: 503, title: "no ledger");
            default:
                if (log is not null)
                {
                    ServerLog.Unexpected(log, ex, http.Request.Method, http.Request.Path);
                }

                return TypedResults.Problem("unexpected server error", statusCode: 500, title: "server error");
        }
    }

    private static string KindName(LedgerErrorKind kind) => kind switch
    {
        LedgerErrorKind.Unavailable => "unavailable",
        LedgerErrorKind.Authentication => "authentication",
        LedgerErrorKind.PermissionDenied => "permission_denied",
        LedgerErrorKind.ReadOnly => "read_only",
        LedgerErrorKind.Busy => "busy",
        LedgerErrorKind.Corrupt => "corrupt",
        LedgerErrorKind.NotALedger => "not_a_ledger",
        LedgerErrorKind.NewerLayout => "newer_layout",
        LedgerErrorKind.DiskFull => "disk_full",
        LedgerErrorKind.InvalidData => "invalid_data",
        LedgerErrorKind.Timeout => "timeout",
        _ => "other",
    };
}
