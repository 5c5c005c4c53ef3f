using System.Globalization;

namespace AgentLedger.Bench;

internal sealed record BenchOptions(bool Quick, bool Scaling, int EventCount, string[] Backends, string? PostgresUrl, string? OutPath, IReadOnlySet<string> Phases)
{
    public static BenchOptions Parse(string[] args)
    {
        var quick = args.Contains("--quick");
        string? Value(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        var n = Value("--n") is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : quick ? 2_000 : 100_000;
        if (n < 100 || n % 100 != 0)
        {
            throw new ArgumentException("--n must be a multiple of 100 (runs of 100 events)");
        }

        var postgres = Value("--postgres") ?? Environment.GetEnvironmentVariable("AGENTLEDGER_BENCH_POSTGRES") ?? Environment.GetEnvironmentVariable("AGENTLEDGER_TEST_POSTGRES");
        var backends = (Value("--backends") ?? (postgres is null ? "memory,sqlite" : "memory,sqlite,postgres")).Split(',', StringSplitOptions.RemoveEmptyEntries);
        var phases = (Value("--phases") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => p.ToUpperInvariant()).ToHashSet();
        return new BenchOptions(quick, args.Contains("--scaling"), n, backends, postgres, Value("--out"), phases);
    }
}
