using Npgsql;

namespace AgentLedger.Postgres;

public sealed partial class PostgresLedger
{
    /// <summary>
    /// The channel appends notify after they commit (other writers, the reference among them, are seen by polling).
    /// Named after a hash of the schema: a channel is an identifier of at most 63 bytes, and a schema name may use all of them.
    /// </summary>
    public string Channel => _channel ??= "agentledger_" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Schema)), 0, 8);

    private string? _channel;

    /// <summary>Starts (once) the LISTEN connection that wakes this process's followers.</summary>
    private void EnsureListening()
    {
        // Behind a transaction pooler a LISTEN would not stay on one server connection: followers poll there.
        if (!_options.Notifications || _options.TransactionPooler || _listener is not null)
        {
            return;
        }

        lock (_listenerGate)
        {
            _listener ??= Task.Run(() => ListenAsync(_closing.Token));
        }
    }

    // Followers poll anyway (FollowPollInterval): while this connection is down, or notifications never
    // arrive (a transaction pooler), they are only slower, never wrong.
    private async Task ListenAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                connection.Notification += (_, _) => _notifier.Notify();
                await using (var listen = new NpgsqlCommand($"LISTEN {PostgresUrl.QuoteIdentifier(Channel)}", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                // Events committed while we were not listening: let followers look once.
                _notifier.Notify();
                while (!cancellationToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }
}
