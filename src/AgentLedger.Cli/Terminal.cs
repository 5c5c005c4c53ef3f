using Spectre.Console;

namespace AgentLedger.Cli;

/// <summary>Console output: colour and live progress only on a terminal (and never with NO_COLOR).</summary>
internal static class Terminal
{
    public static bool IsInteractive => !Console.IsOutputRedirected && !Console.IsErrorRedirected;

    public static IAnsiConsole Stdout { get; } = Create(Console.Out, Console.IsOutputRedirected);

    public static IAnsiConsole Stderr { get; } = Create(Console.Error, Console.IsErrorRedirected);

    private static IAnsiConsole Create(TextWriter writer, bool redirected)
    {
        var noColor = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = redirected || noColor ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected || noColor ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
        });
        if (redirected)
        {
            // Pipes and files have no width: do not wrap table rows at 80 columns.
            console.Profile.Width = 240;
        }

        return console;
    }
}
