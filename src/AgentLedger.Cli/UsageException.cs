namespace AgentLedger.Cli;

/// <summary>The command line asks for something that cannot be done as asked (exit code 2).</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>The tool's own runtime error, not the library's: a missing file, an unknown run (exit code 1).</summary>
internal sealed class CliException(string message) : Exception(message);
