using System.Diagnostics;
using System.Net.Sockets;
using Npgsql;

namespace AgentLedger.Postgres;

public sealed partial class PostgresLedger
{
    private Task<T> WithRetryAsync<T>(Func<int, CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
        => RetryAsync(Display, _options.RetryFor, operation, cancellationToken);

    /// <summary>
    /// Runs <paramref name="operation"/>, again and again while the connection keeps failing (server
    /// restarting, backend terminated, network blip), for at most <paramref name="retryFor"/>. Appends are
    /// idempotent by id, so repeating one whose commit was acknowledged but not heard never doubles it.
    /// </summary>
    private static async Task<T> RetryAsync<T>(
        string display, TimeSpan retryFor, Func<int, CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
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
                        display, $"the server could not be used for {clock.Elapsed.TotalSeconds:0.#} s ({Describe(ex)}); gave up after {attempt + 1} attempts", ex);
                }

                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
            }
            catch (PostgresException ex)
            {
                throw Translate(display, ex);
            }
            catch (NpgsqlException ex) when (ex.InnerException is not OperationCanceledException)
            {
                throw new LedgerStorageException(display, Describe(ex), ex);
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
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is SocketException or IOException or EndOfStreamException,
        _ => false,
    };

    /// <summary>One clear sentence for the errors a user can act on; never the password.</summary>
    private static LedgerStorageException Translate(string display, PostgresException ex) => ex.SqlState switch
    {
        PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification
            => new(display, $"the server refused the login: {ex.MessageText}", ex),
        PostgresErrorCodes.InvalidCatalogName => new(display, $"the database does not exist: {ex.MessageText}", ex),
        PostgresErrorCodes.InsufficientPrivilege => new(display, $"not allowed: {ex.MessageText}", ex),
        PostgresErrorCodes.ReadOnlySqlTransaction => new(display, "the server is read-only (a standby?): it can be read but not written", ex),
        _ => new(display, $"PostgreSQL error {ex.SqlState}: {ex.MessageText}", ex),
    };

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
