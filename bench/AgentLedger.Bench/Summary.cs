using System.Globalization;
using System.Text;

namespace AgentLedger.Bench;

/// <summary>The results as one table per backend: phase, AgentLedger, raw, ratio, target.</summary>
internal static class Summary
{
    private static readonly Dictionary<(string Backend, string Phase), string> Targets = new()
    {
        [("sqlite", "P1")] = "≥ 0.80",
        [("postgres", "P1")] = "≥ 0.80",
        [("sqlite", "P2")] = "≥ 0.70",
        [("postgres", "P2")] = "≥ 0.50",
        [("sqlite", "P3")] = "< 100 ms, < 60 MB",
        [("postgres", "P3")] = "< 300 ms, < 80 MB",
        [("sqlite", "P4")] = "≥ 0.70",
        [("postgres", "P4")] = "≥ 0.70",
        [("sqlite", "P5")] = "< 300 µs",
        [("postgres", "P5")] = "< 600 µs",
        [("sqlite", "P6")] = "< 5 ms",
        [("postgres", "P6")] = "< 10 ms",
        [("sqlite", "P7")] = "< 3 ms",
        [("postgres", "P7")] = "< 5 ms",
        [("sqlite", "P8")] = "no-op",
        [("postgres", "P8")] = "no-op",
        [("sqlite", "P9")] = "0 missed",
        [("postgres", "P9")] = "0 missed",
        [("sqlite", "P6p")] = "< 5 ms",
        [("postgres", "P6p")] = "< 5 ms",
        [("postgres", "H8")] = "≥ 0.80, ≥ 6× H1",
        [("postgres", "H32")] = "≥ 0.80",
    };

    /// <summary>One row per phase: the trial with the median rate when a phase ran several times.</summary>
    private static IEnumerable<Measurement> Medians(IEnumerable<Measurement> rows)
        => rows.GroupBy(r => r.Phase).Select(g =>
        {
            var ordered = g.OrderBy(r => r.RatePerS ?? 0).ToList();
            var median = ordered[ordered.Count / 2];
            return ordered.Count == 1 ? median : median with { Note = $"median of {ordered.Count} trials" };
        });

    /// <summary>Ours ÷ the limit for rates; the limit ÷ ours for times (so 1.00 is the limit either way).</summary>
    private static string Ratio(Measurement ours, Measurement? limit) => (ours, limit) switch
    {
        ({ RatePerS: { } rate }, { RatePerS: { } limitRate }) => (rate / limitRate).ToString("0.00", CultureInfo.InvariantCulture),
        ({ MedianUs: { } us }, { MedianUs: { } limitUs }) => (limitUs / us).ToString("0.00", CultureInfo.InvariantCulture),
        _ => "",
    };

    public static string Table(IReadOnlyList<Measurement> results)
    {
        var text = new StringBuilder();
        foreach (var backend in results.Select(r => r.Backend).Distinct())
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{backend}:");
            // SQLite has a second limit, the engine's own C API (bench/c): its column appears when it ran.
            var withC = results.Any(r => r.Backend == backend && r.System == "c");
            text.AppendLine(withC ? "| phase | AgentLedger | raw | ratio | C limit | ratio to C | target | note |" : "| phase | AgentLedger | raw | ratio | target | note |");
            text.AppendLine(withC ? "|---|---|---|---|---|---|---|---|" : "|---|---|---|---|---|---|");
            foreach (var ours in Medians(results.Where(r => r.Backend == backend && r.System == "agentledger")))
            {
                var raw = Medians(results.Where(r => r.Backend == backend && r.System == "raw" && r.Phase == ours.Phase)).FirstOrDefault();
                var figure = ours.Phase == "P3" ? string.Create(CultureInfo.InvariantCulture, $"{ours.Seconds * 1000:0} ms, {ours.RssMb:0} MB") : ours.Figure;
                var c = withC ? Medians(results.Where(r => r.Backend == backend && r.System == "c" && r.Phase == ours.Phase)).FirstOrDefault() : null;
                var cColumns = withC ? $" {c?.Figure ?? ""} | {Ratio(ours, c)} |" : "";
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {ours.Phase} | {figure} | {raw?.Figure ?? ""} | {Ratio(ours, raw)} |{cColumns} {Targets.GetValueOrDefault((backend, ours.Phase), "")} | {ours.Note} |");
            }

            text.AppendLine();
        }

        return text.ToString();
    }
}
