using System.Diagnostics;
using System.Globalization;

namespace AgentLedger.Cli;

/// <summary>
/// Progress of long copies, imports and exports on standard error: a live line on a terminal,
/// a plain line every two seconds when redirected (Spectre's live progress prints nothing there).
/// </summary>
internal sealed class ProgressReporter(string verb, long? total) : IProgress<long>, IDisposable
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly bool _live = Terminal.IsInteractive && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
    private TimeSpan _lastPrinted = TimeSpan.Zero;
    private long _done;

    public void Report(long value)
    {
        _done = value;
        var every = _live ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(2);
        if (_clock.Elapsed - _lastPrinted < every)
        {
            return;
        }

        _lastPrinted = _clock.Elapsed;
        Print(final: false);
    }

    public void Dispose()
    {
        if (_lastPrinted > TimeSpan.Zero)
        {
            Print(final: true);
        }
    }

    /// <summary>A 30-cell bar when the total is known: <c>[##########--------------------] </c>.</summary>
    private string Bar()
    {
        if (total is not > 0)
        {
            return "";
        }

        var filled = (int)Math.Clamp(30 * _done / total.Value, 0, 30);
        return $"[{new string('#', filled)}{new string('-', 30 - filled)}] ";
    }

    private void Print(bool final)
    {
        var rate = _done / Math.Max(_clock.Elapsed.TotalSeconds, 0.001);
        var of = total is > 0 ? string.Create(CultureInfo.InvariantCulture, $" of {total:N0} ({100.0 * _done / total.Value:0}%)") : "";
        var line = string.Create(CultureInfo.InvariantCulture, $"{verb} {_done:N0}{of} events, {rate:N0}/s");
        if (_live)
        {
            Console.Error.Write($"\r{Bar()}{line}   {(final ? Environment.NewLine : "")}");
        }
        else
        {
            Console.Error.WriteLine(line);
        }
    }
}
