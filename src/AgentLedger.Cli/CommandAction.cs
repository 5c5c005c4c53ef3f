using System.CommandLine;

namespace AgentLedger.Cli;

/// <summary>Runs a command's body with the tool's error rules: one clear line on stderr, a stack trace only with --verbose.</summary>
internal static class CommandAction
{
    public static void Set(Command command, Func<CommandContext, CancellationToken, Task<int>> body)
        => command.SetAction(async (parse, cancellationToken) =>
        {
            var context = new CommandContext(parse);
            try
            {
                return await body(context, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return Cli.Ok; // Ctrl-C: a clean end
            }
            catch (Exception ex) when (ex is UsageException or LedgerConfigurationException)
            {
                await Console.Error.WriteLineAsync($"error: {ex.Message}");
                return Cli.UsageError;
            }
            catch (Exception ex) when (ex is LedgerException or CliException or IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
            {
                await Console.Error.WriteLineAsync(context.Verbose ? $"error: {ex}" : $"error: {ex.Message}");
                return Cli.RuntimeError;
            }
            catch (Exception ex)
            {
                await Console.Error.WriteLineAsync(context.Verbose ? $"error: {ex}" : $"error: unexpected {ex.GetType().Name}: {ex.Message} (run with --verbose for details)");
                return Cli.RuntimeError;
            }
        });
}
