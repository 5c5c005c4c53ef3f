// A writer process for the multi-process tests and the crash kit:
//   AgentLedger.TestWriter <url> <prefix> <count> [batch-size] [ack-file]
// appends <count> events with ids "<prefix>-<i>" to run "<prefix>", one call each (or in batches),
// and prints "appended N duplicate N conflict N". With an ack file, every outcome the ledger
// acknowledged is written there ("id offset outcome") before the next call, so a writer killed at any
// point has on disk exactly what it was told.
using AgentLedger;
using AgentLedger.Postgres;
using AgentLedger.Sqlite;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: AgentLedger.TestWriter <url> <prefix> <count> [batch-size] [ack-file]");
    return 2;
}

var (url, prefix, count) = (args[0], args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
var batchSize = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 1;
await using var acks = args.Length > 4 ? new StreamWriter(args[4], append: true) { AutoFlush = true } : null;
await using var ledger = await Ledger.Create().UseSqlite().UsePostgres().OpenAsync(url);
var tally = new AppendTally();
for (var i = 0; i < count; i += batchSize)
{
    var batch = Enumerable.Range(i, Math.Min(batchSize, count - i))
        .Select(n => new LedgerEvent(prefix, n, "agent.spoke", "writer", $$"""{"n":{{n}}}""", id: $"{prefix}-{n}"))
        .ToList();
    IReadOnlyList<AppendResult> results = batch.Count == 1 ? [await ledger.AppendAsync(batch[0])] : await ledger.AppendBatchAsync(batch);
    tally.Add(results);
    if (acks is not null)
    {
        foreach (var r in results)
        {
            await acks.WriteLineAsync($"{r.Id} {r.Offset} {r.Outcome}");
        }
    }
}

Console.WriteLine($"appended {tally.Appended} duplicate {tally.Duplicates} conflict {tally.Conflicts}");
return 0;
