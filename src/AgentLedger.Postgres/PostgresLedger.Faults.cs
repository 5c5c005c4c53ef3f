using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AgentLedger.Postgres;

public sealed partial class PostgresLedger
{
    private Task<T> WithRetryAsync<T>(Func<int, CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
        => RetryAsync(Display, _options.RetryFor, operation, this, _logger, cancellationToken);

    /// <summary>Runs a streaming operation once: it cannot be replayed, so a dropped connection is reported, not retried.</summary>
    private async Task OnceAsync(Func<CancellationToken, Task> operation, CancellationToken cancellationToken)
    {
        try
        {
            await operation(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsTransient(ex) && !cancellationToken.IsCancellationRequested)
        {
            throw new LedgerStorageException(
                LedgerErrorKind.Unavailable, Display,
                $"the connection was lost ({Describe(ex)}); nothing was written unless it was lost during the final commit: check the count, then run it again", ex);
        }
        catch (PostgresException ex)
        {
            throw Translate(Display, ex);
        }
        catch (NpgsqlException ex) when (IsStatementTimeout(ex))
        {
            throw TimedOut(Display, ex);
        }
        catch (NpgsqlException ex) when (ex.InnerException is not OperationCanceledException)
        {
            throw new LedgerStorageException(LedgerErrorKind.Unavailable, Display, Describe(ex), ex);
        }
    }

    /// <summary>
    /// Runs <paramref name="operation"/>, again and again while the connection keeps failing (server
    /// restarting, backend terminated, network blip), for at most <paramref name="retryFor"/>. Appends are
    /// idempotent by id, so repeating one whose commit was acknowledged but not heard never doubles it.
    /// </summary>
    private static async Task<T> RetryAsync<T>(
        string display, TimeSpan retryFor, Func<int, CancellationToken, Task<T>> operation, ILedgerInfo? ledger, ILogger? logger, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(25);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await operation(attempt, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                if (clock.Elapsed + delay > retryFor)
                {
                    throw new LedgerStorageException(
                        LedgerErrorKind.Unavailable, display, $"the server could not be used for {clock.Elapsed.TotalSeconds:0.#} s ({Describe(ex)}); gave up after {attempt + 1} attempts", ex);
                }

                if (ledger is not null)
                {
                    LedgerTelemetry.RecordRetry(ledger, ex is RetryableRaceException ? "race" : "connection");
                }

                if (logger is not null)
                {
                    PostgresLog.Retrying(logger, display, attempt + 1, delay.TotalMilliseconds, Describe(ex));
                }

                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
            }
            catch (PostgresException ex)
            {
                throw Translate(display, ex);
            }
            catch (NpgsqlException ex) when (IsStatementTimeout(ex))
            {
                throw TimedOut(display, ex);
            }
            catch (NpgsqlException ex) when (ex.InnerException is not OperationCanceledException)
            {
                throw new LedgerStorageException(LedgerErrorKind.Unavailable, display, Describe(ex), ex);
            }
        }
    }

    private static bool IsTransient(Exception ex) => ex switch
    {
        RetryableRaceException => true,
        PostgresException pg => pg.SqlState is
            PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
            or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected
            or PostgresErrorCodes.TooManyConnections or PostgresErrorCodes.ConnectionFailure
            or PostgresErrorCodes.ConnectionException or PostgresErrorCodes.ConnectionDoesNotExist
            or PostgresErrorCodes.SqlClientUnableToEstablishSqlConnection,
        // A statement that outlived the command timeout is slow, not unreachable: reported as such, not retried.
        NpgsqlException npgsql when IsStatementTimeout(npgsql) => false,
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is SocketException or IOException or EndOfStreamException,
        _ => false,
    };

    /// <summary>A kind and one clear sentence for the errors a user can act on; never the password.</summary>
    private static LedgerException Translate(string display, PostgresException ex) => ex.SqlState switch
    {
        PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification
            => new LedgerStorageException(LedgerErrorKind.Authentication, display, $"the server refused the login: {ex.MessageText}", ex),
        PostgresErrorCodes.InvalidCatalogName => new LedgerNotFoundException(display, $"the database does not exist: {ex.MessageText}"),
        PostgresErrorCodes.InsufficientPrivilege => new LedgerStorageException(LedgerErrorKind.PermissionDenied, display, $"not allowed: {ex.MessageText}", ex),
        PostgresErrorCodes.ReadOnlySqlTransaction => new LedgerStorageException(LedgerErrorKind.ReadOnly, display, "the server is read-only (a standby?): it can be read but not written", ex),
        PostgresErrorCodes.DiskFull or PostgresErrorCodes.OutOfMemory => new LedgerStorageException(LedgerErrorKind.DiskFull, display, $"the server is out of space: {ex.MessageText}", ex),
        "2200H" /* sequence_generator_limit_exceeded */ => new LedgerStorageException(LedgerErrorKind.InvalidData, display, "no offset is left: the latest offset is the largest the ledger can hold", ex),
        PostgresErrorCodes.QueryCanceled => new LedgerStorageException(LedgerErrorKind.Timeout, display, $"a statement ran longer than the command timeout: {ex.MessageText}", ex),
        _ => new LedgerStorageException(LedgerErrorKind.Other, display, $"PostgreSQL error {ex.SqlState}: {ex.MessageText}", ex),
    };

    /// <summary>
    /// A command that outlived its timeout while the server was working on it. Npgsql reports connecting and
    /// waiting for a pooled connection with an inner TimeoutException too: those are the server being away
    /// (transient, retried), told apart by where the timeout struck — reading a command's response.
    /// </summary>
    private static bool IsStatementTimeout(NpgsqlException ex)
        => ex.InnerException is TimeoutException timeout && timeout.Message.Contains("reading", StringComparison.OrdinalIgnoreCase);

    private static LedgerStorageException TimedOut(string display, NpgsqlException ex) => new(
        LedgerErrorKind.Timeout, display,
        "a statement did not finish within the command timeout (the server is slow, or a lock is held). "
        + "Raise it with ?command_timeout=SECONDS (0: none); batches, imports and restores have none unless ?bulk_timeout= is set", ex);

    private static string Describe(Exception ex) => ex switch
    {
        RetryableRaceException => "an append kept racing an unguarded writer",
        PostgresException pg => $"{pg.SqlState}: {pg.MessageText}",
        NpgsqlException { InnerException: SocketException socket } => $"cannot reach the server: {socket.Message}",
        NpgsqlException { InnerException: TimeoutException } => "the server did not answer in time",
        _ => ex.Message,
    };

    /// <summary>An append met a row it could not see yet (committed after its snapshot): run it again.</summary>
    private sealed class RetryableRaceException : Exception
    {
        public RetryableRaceException() : base("retry") { }
    }
}

/// <summary>What the PostgreSQL backend logs (source-generated: free when the level is off).</summary>
internal static partial class PostgresLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "AgentLedger: {Location}: attempt {Attempt} failed ({Reason}); retrying in {DelayMs} ms")]
    public static partial void Retrying(ILogger logger, string location, int attempt, double delayMs, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "AgentLedger: {Location}: layout step {Version} applied ({Step})")]
    public static partial void LayoutStepApplied(ILogger logger, string location, int version, string step);
}
