// A writer process for the multi-process tests:
//   AgentLedger.TestWriter <url> <prefix> <count> [batch-size]
// appends <count> events with ids "<prefix>-<i>" to run "<prefix>", one call each (or in batches),
// and prints "appended N duplicate N conflict N".
using AgentLedger;
using AgentLedger.Postgres;
using AgentLedger.Sqlite;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: AgentLedger.TestWriter <url> <prefix> <count> [batch-size]");
    return 2;
}

var (url, prefix, count) = (args[0], args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
var batchSize = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 1;
await using var ledger = await Ledger.Create().UseSqlite().UsePostgres().OpenAsync(url);
var tally = new AppendTally();
for (var i = 0; i < count; i += batchSize)
{
    var batch = Enumerable.Range(i, Math.Min(batchSize, count - i))
        .Select(n => new LedgerEvent(prefix, n, "agent.spoke", "writer", $$"""{"n":{{n}}}""", id: $"{prefix}-{n}"))
        .ToList();
    tally.Add(batch.Count == 1 ? [await ledger.AppendAsync(batch[0])] : await ledger.AppendBatchAsync(batch));
}

Console.WriteLine($"appended {tally.Appended} duplicate {tally.Duplicates} conflict {tally.Conflicts}");
return 0;
