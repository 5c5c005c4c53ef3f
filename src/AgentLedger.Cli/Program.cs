using AgentLedger;
using AgentLedger.Cli;
using AgentLedger.Postgres;
using AgentLedger.Sqlite;

// Register the backends explicitly: the tool ships with both, whatever the deployment layout.
Ledger.Register(new SqliteLedgerProvider());
Ledger.Register(new PostgresLedgerProvider());

return await Cli.RunAsync(args);
