using Microsoft.Extensions.Logging;

namespace AgentLedger.Sqlite;

/// <summary>What the SQLite backend logs (source-generated: free when the level is off).</summary>
internal static partial class SqliteLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "AgentLedger: {Path}: layout step {Version} applied ({Step})")]
    public static partial void LayoutStepApplied(ILogger logger, string path, int version, string step);
}
