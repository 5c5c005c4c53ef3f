using System.CommandLine;

namespace AgentLedger.Cli;

/// <summary>Options every command takes.</summary>
internal static class GlobalOptions
{
    public const string DefaultFile = "agentledger.db";

    public static readonly Option<string?> Db = new("--db")
    {
        Description = "Ledger URL or path (default: DATABASE_URL, else ./agentledger.db). E.g. runs.db, sqlite:///runs.db, postgresql://user:pass@host/db, :memory:",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Write machine-readable JSON (JSON lines for event listings) instead of tables",
        Recursive = true,
    };

    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Show the full error, stack trace included, when something fails",
        Recursive = true,
    };
}
