using System.CommandLine;
using System.Text;

namespace AgentLedger.Cli.Commands;

internal static class ExportCommand
{
    private static readonly Option<string[]> Runs = new("--run") { Description = "Only these runs (repeat for several)", AllowMultipleArgumentsPerToken = true };
    private static readonly Option<string?> Out = new("--out", "-o") { Description = "Write to this file instead of standard output" };

    public static Command Create()
    {
        var command = new Command("export", "Export events as JSON lines (one event per line, snake_case fields plus offset), in offset order.\n\n"
            + "Examples:\n  agentledger export > trace.jsonl\n  agentledger export --run demo-7-1 --out run.jsonl")
        {
            Runs, Out,
        };
        CommandAction.Set(command, async (context, cancellationToken) =>
        {
            await using var ledger = await context.OpenForReadingAsync(cancellationToken);
            var runs = context.Get(Runs) ?? [];
            var path = context.Get(Out);
            var total = runs.Length == 0 ? await ledger.CountAsync(cancellationToken) : (long?)null;

            // A file is written beside its final name and moved into place: a failed export leaves no half file.
            var temporary = path is null ? null : path + ".partial";
            try
            {
                await WriteAsync(ledger, runs, path, temporary, total, cancellationToken);
            }
            catch
            {
                if (temporary is not null)
                {
                    File.Delete(temporary); // a failed export leaves nothing behind
                }

                throw;
            }

            if (temporary is not null)
            {
                File.Move(temporary, path!, overwrite: true);
            }

            return Cli.Ok;
        });
        return command;
    }

    private static async Task WriteAsync(ILedgerReader ledger, string[] runs, string? path, string? temporary, long? total, CancellationToken cancellationToken)
    {
        await using (var writer = temporary is null
            ? new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = false }
            : new StreamWriter(temporary, append: false, new UTF8Encoding(false)))
        {
            writer.NewLine = "\n";
            using var progress = new ProgressReporter("exported", total);
            long count = 0;
            var queries = runs.Length == 0 ? [EventQuery.All] : runs.Select(r => new EventQuery { RunId = r });
            foreach (var query in queries)
            {
                await foreach (var e in ledger.ReadAsync(query, cancellationToken))
                {
                    await writer.WriteLineAsync(JsonlTrace.Write(e));
                    progress.Report(++count);
                }
            }

            if (path is not null)
            {
                await Console.Error.WriteLineAsync($"exported {count} events to {path}");
            }
        }
    }
}
