using AgentLedger.Cli;

return await Cli.RunAsync(args);
