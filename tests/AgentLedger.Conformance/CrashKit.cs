using System.Diagnostics;
using Xunit;

namespace AgentLedger.Conformance;

/// <summary>
/// Writer processes killed with SIGKILL at random points, again and again, while a follower runs. Afterwards:
/// every acknowledged event is stored where it was acknowledged, no batch is partial, verification passes,
/// and the follower saw each event exactly once, in offset order.
/// </summary>
public static class CrashKit
{
    public static async Task RunAsync(ILedger ledger, string url, string folder, int rounds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        var random = new Random(20261201);
        var seen = new List<StoredEvent>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var follower = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in ledger.FollowAsync(EventQuery.All, stop.Token))
                {
                    lock (seen)
                    {
                        seen.Add(e);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }, cancellationToken);

        var batchSizes = new Dictionary<string, int>();
        for (var round = 0; round < rounds; round++)
        {
            var prefix = $"k{round}";
            var batchSize = random.Next(2) == 0 ? 1 : 10;
            batchSizes[prefix] = batchSize;
            using var writer = WriterProcess.Start(url, prefix, 1_000_000, batchSize, Path.Combine(folder, $"acks-{round}.txt"));

            // Let it open and append for a while, then kill it without warning, wherever it is.
            await Task.Delay(random.Next(400, 1200), cancellationToken);
            writer.Kill(entireProcessTree: true);
            await writer.WaitForExitAsync(cancellationToken);
        }

        var stored = new List<StoredEvent>();
        await foreach (var e in ledger.ReadAsync(EventQuery.All, cancellationToken))
        {
            stored.Add(e);
        }

        var byId = stored.ToDictionary(e => e.Event.Id, e => e.Offset);
        // One file per writer; the last line of a killed writer may be cut short, and is not counted.
        var acknowledged = Directory.GetFiles(folder, "acks-*.txt").SelectMany(File.ReadAllLines)
            .Select(l => l.Split(' ')).Where(a => a.Length == 3 && Enum.TryParse<AppendOutcome>(a[2], out _)).ToList();
        Assert.True(acknowledged.Count > 0, "no writer got as far as one acknowledged append");
        foreach (var ack in acknowledged)
        {
            Assert.True(byId.TryGetValue(ack[0], out var offset), $"acknowledged event {ack[0]} ({ack[2]} @{ack[1]}) is not stored");
            Assert.Equal(long.Parse(ack[1], System.Globalization.CultureInfo.InvariantCulture), offset);
        }

        // No partial batch: of each batch of ten, all ids are stored or none.
        foreach (var group in stored.GroupBy(e => (Run: e.Event.RunId, Batch: e.Event.Turn / batchSizes[e.Event.RunId])))
        {
            var size = batchSizes[group.Key.Run];
            Assert.True(size == 1 || group.Count() == size, $"batch {group.Key} of run {group.Key.Run} is partial: {group.Count()} of {size}");
        }

        var report = await LedgerVerification.VerifyAsync(ledger, cancellationToken);
        Assert.True(report.IsValid, string.Join("; ", report.Problems));

        // The follower catches up to everything stored, each event once, in offset order.
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            lock (seen)
            {
                if (seen.Count >= stored.Count || deadline.Elapsed > TimeSpan.FromSeconds(30))
                {
                    break;
                }
            }

            await Task.Delay(50, cancellationToken);
        }

        await stop.CancelAsync();
        await follower;
        Assert.Equal(stored.Select(e => e.Offset), seen.Select(e => e.Offset));
    }
}
