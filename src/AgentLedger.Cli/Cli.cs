using System.CommandLine;
using AgentLedger.Cli.Commands;

namespace AgentLedger.Cli;

/// <summary>The command tree and the exit-code rules: 0 success, 1 runtime error, 2 usage error.</summary>
internal static class Cli
{
    public const int Ok = 0;
    public const int RuntimeError = 1;
    public const int UsageError = 2;

    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand(
            "agentledger: the event ledger of multi-agent AI runs. Record, browse, follow, export and copy runs.\n\n"
            + "Where the ledger is: --db URL, else DATABASE_URL, else the SQLite file ./agentledger.db.\n"
            + "URLs: agentledger.db, sqlite:///path.db, postgresql://user:pass@host/db, :memory:\n\n"
            + "Start with:  agentledger demo    then  agentledger runs  and  agentledger show RUN");
        root.Options.Add(GlobalOptions.Db);
        root.Options.Add(GlobalOptions.Json);
        root.Options.Add(GlobalOptions.Verbose);
        foreach (var command in new[]
        {
            DemoCommand.Create(), RunsCommand.Create(), ShowCommand.Create(), StatsCommand.Create(), InfoCommand.Create(),
            TailCommand.Create(), AppendCommand.Create(), ExportCommand.Create(), ImportCommand.Create(), CopyCommand.Create(),
            VerifyCommand.Create(), ResetCommand.Create(), ServeCommand.Create(),
        })
        {
            root.Subcommands.Add(command);
        }

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await Console.Error.WriteLineAsync($"error: {error.Message}");
            }

            await Console.Error.WriteLineAsync("see 'agentledger --help' (or 'agentledger COMMAND --help')");
            return UsageError;
        }

        return await parse.InvokeAsync();
    }
}
