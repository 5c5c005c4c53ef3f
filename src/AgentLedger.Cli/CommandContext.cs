using System.CommandLine;
using AgentLedger.Postgres;
using AgentLedger.Sqlite;
using Spectre.Console;

namespace AgentLedger.Cli;

/// <summary>What a command's action works with: the parsed line, the ledger location, the console.</summary>
internal sealed class CommandContext(ParseResult parse)
{
    public ParseResult Parse { get; } = parse;

    public bool Json => Parse.GetValue(GlobalOptions.Json);

    public bool Verbose => Parse.GetValue(GlobalOptions.Verbose);

    /// <summary>--db, else DATABASE_URL, else ./agentledger.db.</summary>
    public string Location => Parse.GetValue(GlobalOptions.Db) is { Length: > 0 } db
        ? db
        : Environment.GetEnvironmentVariable(AgentLedger.Ledger.DatabaseUrlVariable) is { Length: > 0 } env ? env : GlobalOptions.DefaultFile;

    /// <summary>The backends the tool opens: SQLite files and PostgreSQL (and :memory:). The one place they are chosen.</summary>
    public static LedgerBuilder Ledgers { get; } = AgentLedger.Ledger.Create().UseSqlite().UsePostgres();

    /// <summary>The location as it may be printed: never with a password.</summary>
    public string DisplayLocation => Ledgers.Describe(Location);

    public IAnsiConsole Out { get; } = Terminal.Stdout;

    public T? Get<T>(Option<T> option) => Parse.GetValue(option);

    public T? Get<T>(Argument<T> argument) => Parse.GetValue(argument);

    /// <summary>Opens the ledger for reading: a missing SQLite file is an error, not a new empty file.</summary>
    public async Task<ILedger> OpenForReadingAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await Ledgers.OpenAsync(Location, new LedgerOpenOptions { CreateIfMissing = false }, cancellationToken);
        }
        catch (LedgerNotFoundException ex)
        {
            throw new LedgerNotFoundException(ex.Location, "no ledger here yet; record one with 'agentledger demo', or point --db (or DATABASE_URL) at one");
        }
    }

    /// <summary>Opens the ledger for writing, creating it on first write.</summary>
    public async Task<ILedger> OpenForWritingAsync(CancellationToken cancellationToken)
        => await Ledgers.OpenAsync(Location, LedgerOpenOptions.Default, cancellationToken);

    /// <summary>
    /// Opens the ledger for reading, waiting (like <c>tail -F</c>) until it exists: a monitor started
    /// before the agents sees the ledger as soon as the first of them creates it.
    /// </summary>
    public async Task<ILedger> OpenWhenItExistsAsync(CancellationToken cancellationToken)
    {
        var waiting = false;
        while (true)
        {
            try
            {
                return await Ledgers.OpenAsync(Location, new LedgerOpenOptions { CreateIfMissing = false }, cancellationToken);
            }
            catch (LedgerNotFoundException)
            {
                if (!waiting)
                {
                    waiting = true;
                    await Console.Error.WriteLineAsync($"waiting for a ledger at {DisplayLocation} (Ctrl-C ends)");
                }

                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            }
        }
    }
}
