using AgentLedger.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AgentLedger.Postgres;

public sealed partial class PostgresLedger
{
    /// <summary>
    /// Opens the ledger at a <c>postgresql://</c> URL or connection string, creating or upgrading its
    /// tables (in one transaction, safe when several processes open the database at once).
    /// </summary>
    public static async Task<PostgresLedger> OpenAsync(string url, PostgresLedgerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(url);
        var (builder, parsedOptions) = PostgresUrl.Parse(url, options);
        var display = PostgresUrl.Mask(url);

        // Repeated statements (the append, the page read) are prepared on the server after two uses; never behind
        // a transaction pooler, where the next transaction may run on a server connection that never saw them.
        if (parsedOptions.TransactionPooler)
        {
            builder.MaxAutoPrepare = 0;
        }
        else if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 16;
        }

        // The ledger changes no session state, so a pooled connection needs no reset round trip on return.
        builder.NoResetOnClose = true;
        var dataSource = new NpgsqlDataSourceBuilder(builder.ConnectionString).Build();
        try
        {
            var logger = parsedOptions.LoggerFactory?.CreateLogger("AgentLedger.Postgres");
            var (schema, lockKey, version, xidFloor, missing, standby) = await RetryAsync(
                display, parsedOptions.RetryFor, (_, ct) => InitializeAsync(dataSource, builder.SearchPath, parsedOptions, display, logger, ct), null, logger, cancellationToken).ConfigureAwait(false);
            return new PostgresLedger(dataSource, parsedOptions, display, schema, lockKey, version, xidFloor) { _missingColumns = missing, _standby = standby };
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The Npgsql connection string a ledger URL stands for (password included: for drivers, never for logs).</summary>
    public static string ToConnectionString(string url)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(url);
        return PostgresUrl.Parse(url).ConnectionString.ConnectionString;
    }

    private static async Task<(string Schema, long LockKey, int Version, long XidFloor, IReadOnlySet<string>? Missing, bool Standby)> InitializeAsync(
        NpgsqlDataSource dataSource, string? searchPath, PostgresLedgerOptions options, string display, ILogger? logger, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var (schema, lockKey, hasEvents, hasSchemaTable, xidFloor, standby) = await IdentifyAsync(connection, cancellationToken).ConfigureAwait(false);

        // A hot standby (a read replica) takes no writes: say so at open, not at the first append.
        if (standby && !options.ReadOnly)
        {
            throw new LedgerConfigurationException(
                $"{display} is a hot standby (a read replica), which takes no writes: open it read-only to read there, or use the primary's URL");
        }

        if (schema is null)
        {
            // search_path names a schema that does not exist yet (e.g. ?schema=TeamA): make it, exactly as written.
            var wanted = PostgresUrl.FirstSchema(searchPath);
            if (string.IsNullOrEmpty(wanted) || options.ReadOnly || !options.CreateIfMissing)
            {
                throw new LedgerNotFoundException(display, $"the schema '{wanted}' does not exist");
            }

            var created = false;
            await using (var create = new NpgsqlCommand($"CREATE SCHEMA {PostgresUrl.QuoteIdentifier(wanted)}", connection))
            {
                try
                {
                    await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    created = true;
                }
                catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateSchema)
                {
                    // Another process made it first, which is all we need.
                }
            }

            (schema, lockKey, hasEvents, hasSchemaTable, xidFloor, _) = await IdentifyAsync(connection, cancellationToken).ConfigureAwait(false);
            if (schema is null)
            {
                // Never leave a stray schema behind: drop it again if we made it (RESTRICT: only while it is empty).
                if (created)
                {
                    await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {PostgresUrl.QuoteIdentifier(wanted)}", connection);
                    await drop.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                throw new LedgerConfigurationException($"{display}: the search path '{searchPath}' does not select the schema '{wanted}'");
            }
        }

        // A transaction pooler drops the search_path startup parameter (PgBouncer ignores it at best): say so,
        // rather than put the ledger in whatever schema the pooled connection happens to have.
        if (options.TransactionPooler && PostgresUrl.FirstSchema(searchPath) is { Length: > 0 } asked && asked != schema)
        {
            throw new LedgerConfigurationException(
                $"{display}: the schema '{asked}' was asked for, but through the transaction pooler the connection is in '{schema}' "
                + "(a pooler does not pass search_path on): give the ledger a database of its own, or set the role's search_path (ALTER ROLE ... SET search_path)");
        }

        var version = hasSchemaTable ? await ReadVersionAsync(connection, display, cancellationToken).ConfigureAwait(false) : 0;
        if (version == PostgresSql.LatestVersion)
        {
            return (schema, lockKey, version, xidFloor, null, standby);
        }

        if (!hasEvents && (options.ReadOnly || !options.CreateIfMissing))
        {
            throw new LedgerNotFoundException(display, $"no ledger here (no 'events' table in schema '{schema}')");
        }

        if (options.ReadOnly)
        {
            // An older layout is read as it is, not migrated: columns it lacks read as NULL.
            return (schema, lockKey, version, xidFloor, await MissingColumnsAsync(connection, display, cancellationToken).ConfigureAwait(false), standby);
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var migrationLock = new NpgsqlCommand(PostgresSql.MigrationLock, connection, transaction))
        {
            await migrationLock.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // Another process may have migrated while we waited for the lock.
        var (_, _, _, hasVersionTable, _, _) = await IdentifyAsync(connection, cancellationToken, transaction).ConfigureAwait(false);
        var from = hasVersionTable ? await ReadVersionAsync(connection, display, cancellationToken, transaction).ConfigureAwait(false) : 0;
        foreach (var (stepVersion, name, sql) in PostgresSql.Migrations)
        {
            if (stepVersion <= from)
            {
                continue;
            }

            await using (var step = new NpgsqlCommand(sql, connection, transaction))
            {
                await step.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using (var record = new NpgsqlCommand(PostgresSql.RecordVersion, connection, transaction))
            {
                record.Parameters.Add(new NpgsqlParameter<int> { TypedValue = stepVersion });
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            if (logger is not null)
            {
                PostgresLog.LayoutStepApplied(logger, display, stepVersion, name);
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (schema, lockKey, PostgresSql.LatestVersion, xidFloor, null, standby);
    }

    private static async Task<(string? Schema, long LockKey, bool HasEvents, bool HasSchemaTable, long XidFloor, bool Standby)> IdentifyAsync(
        NpgsqlConnection connection, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null)
    {
        await using var command = new NpgsqlCommand(PostgresSql.Identify, connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return reader.IsDBNull(0)
            ? (null, 0, false, false, 0, reader.GetBoolean(5))
            : (reader.GetString(0), reader.GetInt64(1), reader.GetBoolean(2), reader.GetBoolean(3), reader.GetInt64(4), reader.GetBoolean(5));
    }

    private static async Task<IReadOnlySet<string>?> MissingColumnsAsync(NpgsqlConnection connection, string display, CancellationToken cancellationToken)
    {
        var present = new HashSet<string>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand(PostgresSql.ExistingColumns, connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                present.Add(reader.GetString(0));
            }
        }

        var missing = EnvelopeColumns.All.Where(c => !present.Contains(c)).ToHashSet(StringComparer.Ordinal);
        if (missing.FirstOrDefault(c => !EnvelopeColumns.Later.Contains(c)) is { } required)
        {
            throw new LedgerStorageException(LedgerErrorKind.Corrupt, display, $"the events table has no column '{required}': not a ledger table");
        }

        return missing.Count == 0 ? null : missing;
    }

    private static async Task<int> ReadVersionAsync(NpgsqlConnection connection, string display, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null)
    {
        await using var command = new NpgsqlCommand(PostgresSql.ReadSchemaVersion, connection, transaction);
        var version = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is int v ? v : 0;
        if (version > PostgresSql.LatestVersion)
        {
            throw new LedgerStorageException(
                LedgerErrorKind.NewerLayout, display, $"the ledger's layout version is {version}, newer than this AgentLedger knows ({PostgresSql.LatestVersion}); upgrade AgentLedger");
        }

        return version;
    }
}
