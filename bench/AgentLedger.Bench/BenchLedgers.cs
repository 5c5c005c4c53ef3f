using AgentLedger.Postgres;
using AgentLedger.Sqlite;

namespace AgentLedger.Bench;

/// <summary>The backends the benchmark opens, chosen once.</summary>
internal static class BenchLedgers
{
    private static readonly LedgerBuilder Builder = Ledger.Create().UseSqlite().UsePostgres();

    public static ValueTask<ILedger> OpenAsync(string url) => Builder.OpenAsync(url);
}
