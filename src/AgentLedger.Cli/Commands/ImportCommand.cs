using System.CommandLine;
using Spectre.Console;

namespace AgentLedger.Cli.Commands;

internal static class ImportCommand
{
    private const int BatchSize = 1000;

    private static readonly Argument<string> File = new("file") { Description = "A JSON lines trace (our export, or the reference's traces); - for standard input" };

    public static Command Create()
    {
        var command = new Command("import", "Import a JSON lines trace. Idempotent (a second import changes nothing). Every line is checked first: "
            + "a malformed line is reported with its number and nothing from the file is written. Offsets in the file are not kept (use 'copy' for that).\n\n"
            + "Examples:\n  agentledger import trace.jsonl\n  agentledger --db other.db import trace.jsonl")
        {
            File,
        };
        CommandAction.Set(command, async (context, cancellationToken) =>
        {
            var path = context.Get(File)!;
            string? buffered = null;
            if (path == "-")
            {
                buffered = await Console.In.ReadToEndAsync(cancellationToken);
            }
            else if (!System.IO.File.Exists(path))
            {
                throw new LedgerException($"no such file: {path}");
            }

            TextReader OpenReader() => buffered is not null ? new StringReader(buffered) : new StreamReader(path);

            // Pass 1 validates every line (constant memory); pass 2 appends in batches. Nothing is written unless every line is good.
            long lines = 0;
            using (var reader = OpenReader())
            {
                await foreach (var _ in JsonlTrace.ReadAsync(reader, cancellationToken))
                {
                    lines++;
                }
            }

            await using var ledger = await context.OpenForWritingAsync(cancellationToken);
            var tally = new AppendTally();
            using (var progress = new ProgressReporter("imported", lines))
            using (var reader = OpenReader())
            {
                var batch = new List<LedgerEvent>(BatchSize);
                async Task FlushAsync()
                {
                    tally.Add(await ledger.AppendBatchAsync(batch, cancellationToken));
                    batch.Clear();
                    progress.Report(tally.Total);
                }

                await foreach (var (e, _, _) in JsonlTrace.ReadAsync(reader, cancellationToken))
                {
                    batch.Add(e);
                    if (batch.Count == BatchSize)
                    {
                        await FlushAsync();
                    }
                }

                await FlushAsync();
            }

            if (context.Json)
            {
                Render.WriteJson(new { appended = tally.Appended, duplicates = tally.Duplicates, conflicts = tally.Conflicts });
            }
            else
            {
                context.Out.WriteLine($"imported {path} into {ledger.Description}: {tally.Appended} appended, {tally.Duplicates} duplicates, {tally.Conflicts} conflicts");
            }

            return tally.Conflicts > 0 ? Cli.RuntimeError : Cli.Ok;
        });
        return command;
    }
}
