using Npgsql;
using NpgsqlTypes;

namespace AgentLedger.Postgres;

public sealed partial class PostgresLedger
{
    /// <summary>
    /// From this many new events a batch goes in by binary COPY (two more round trips than one INSERT, but the
    /// rows travel and are parsed in PostgreSQL's own bulk format rather than as eleven array parameters).
    /// </summary>
    private const int CopyFrom = 64;

    private const string CopySavepoint = "agentledger_copy";

    /// <summary>
    /// Stores <paramref name="fresh"/> (ids looked up as not stored, under the append lock) by binary COPY and
    /// fills <paramref name="inserted"/> with their offsets. False, with nothing stored, when a concurrent
    /// writer took one of the ids meanwhile: the caller then uses the INSERT path, which skips such ids.
    /// </summary>
    private async Task<bool> CopyFreshAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, List<LedgerEvent> fresh, Dictionary<string, long> inserted, CancellationToken cancellationToken)
    {
        await transaction.SaveAsync(CopySavepoint, cancellationToken).ConfigureAwait(false);
        try
        {
            await using var importer = await connection.BeginBinaryImportAsync(PostgresSql.CopyIn, cancellationToken).ConfigureAwait(false);
            importer.Timeout = TimeSpan.FromSeconds(BulkTimeoutSeconds);
            foreach (var e in fresh)
            {
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(e.Id, NpgsqlDbType.Varchar, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(e.RunId, NpgsqlDbType.Varchar, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(e.Turn, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(e.Kind, NpgsqlDbType.Varchar, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(e.Actor, NpgsqlDbType.Varchar, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(e.Payload, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(e.CreatedAt.UtcDateTime, NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(e.SchemaVersion, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                await WriteNullableAsync(importer, e.SessionId, cancellationToken).ConfigureAwait(false);
                await WriteNullableAsync(importer, e.ModelProfile, cancellationToken).ConfigureAwait(false);
                await WriteNullableAsync(importer, e.ModelId, cancellationToken).ConfigureAwait(false);
            }

            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await transaction.RollbackAsync(CopySavepoint, cancellationToken).ConfigureAwait(false);
            return false;
        }

        await using var offsets = new NpgsqlCommand(PostgresSql.CopiedOffsets, connection, transaction) { CommandTimeout = BulkTimeoutSeconds };
        offsets.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. fresh.Select(e => e.Id)] });
        await using var reader = await offsets.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            inserted[reader.GetString(0)] = reader.GetInt64(1);
            ObserveTransaction(reader.GetInt64(2));
        }

        return true;
    }

    private static Task WriteNullableAsync(NpgsqlBinaryImporter importer, string? value, CancellationToken cancellationToken)
        => value is null ? importer.WriteNullAsync(cancellationToken) : importer.WriteAsync(value, NpgsqlDbType.Varchar, cancellationToken);
}
