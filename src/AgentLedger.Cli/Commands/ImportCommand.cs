using System.CommandLine;
using Spectre.Console;

namespace AgentLedger.Cli.Commands;

internal static class ImportCommand
{
    private static readonly Argument<string> File = new("file") { Description = "A JSON lines trace (our export, or the reference's traces); - for standard input" };

    public static Command Create()
    {
        var command = new Command("import", "Import a JSON lines trace, all or nothing: it is streamed into one transaction, and a malformed line (reported with its number) "
            + "or any failure while writing leaves the ledger as it was. Idempotent (a second import changes nothing). Offsets in the file are not kept (use 'copy' for that).\n\n"
            + "Examples:\n  agentledger import trace.jsonl\n  agentledger --db other.db import trace.jsonl\n  zcat trace.jsonl.gz | agentledger import -")
        {
            File,
        };
        CommandAction.Set(command, async (context, cancellationToken) =>
        {
            var path = context.Get(File)!;
            if (path != "-" && !System.IO.File.Exists(path))
            {
                throw new CliException($"no such file: {path}");
            }

            // A file's lines are counted first (a byte scan) so progress can show a total; standard input streams once.
            long? total = path == "-" ? null : await CountLinesAsync(path, cancellationToken);
            await using var ledger = await context.OpenForWritingAsync(cancellationToken);
            await using var input = path == "-" ? Console.OpenStandardInput() : System.IO.File.OpenRead(path);
            ImportResult result;
            using (var progress = new ProgressReporter("imported", total))
            {
                result = await ledger.ImportAsync(Events(input, cancellationToken), progress, cancellationToken);
            }

            if (context.Json)
            {
                Render.WriteJson(new { appended = result.Appended, duplicates = result.Duplicates, conflicts = result.Conflicts });
            }
            else
            {
                context.Out.WriteLine($"imported {path} into {ledger.Description}: {result.Appended} appended, {result.Duplicates} duplicates, {result.Conflicts} conflicts");
            }

            return result.Conflicts > 0 ? Cli.RuntimeError : Cli.Ok;
        });
        return command;
    }

    private static async IAsyncEnumerable<LedgerEvent> Events(Stream input, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var (e, _, _) in JsonlTrace.ReadAsync(input, cancellationToken))
        {
            yield return e;
        }
    }

    private static async Task<long> CountLinesAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = System.IO.File.OpenRead(path);
        var buffer = new byte[1 << 16];
        long lines = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            lines += buffer.AsSpan(0, read).Count((byte)'\n');
        }

        return lines;
    }
}
