using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentLedger.ServerBench;

/// <summary>One line of results, in the shape of bench/AgentLedger.Bench's measurements.</summary>
internal sealed record Result(
    [property: JsonPropertyName("system")] string System,
    [property: JsonPropertyName("backend")] string Backend,
    [property: JsonPropertyName("phase")] string Phase,
    [property: JsonPropertyName("n")] long N,
    [property: JsonPropertyName("seconds")] double? Seconds = null,
    [property: JsonPropertyName("rate_per_s")] double? RatePerS = null,
    [property: JsonPropertyName("median_us")] double? MedianUs = null,
    [property: JsonPropertyName("cpu_percent")] double? CpuPercent = null,
    [property: JsonPropertyName("rss_mb")] double? RssMb = null,
    [property: JsonPropertyName("ratio")] double? Ratio = null,
    [property: JsonPropertyName("note")] string? Note = null)
{
    private static readonly JsonSerializerOptions Options = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    [JsonIgnore]
    public string Figure => this switch
    {
        { Ratio: { } r } => string.Create(CultureInfo.InvariantCulture, $"{r:0.00} of the library"),
        { MedianUs: { } us } => us >= 1000 ? string.Create(CultureInfo.InvariantCulture, $"{us / 1000:0.00} ms median") : string.Create(CultureInfo.InvariantCulture, $"{us:0} µs median"),
        { CpuPercent: { } cpu } => string.Create(CultureInfo.InvariantCulture, $"{cpu:0.00} % CPU, {RssMb:0.0} MB"),
        { RatePerS: { } rate } => string.Create(CultureInfo.InvariantCulture, $"{rate:N0} /s"),
        _ => "",
    };

    public static double Median(List<double> values)
    {
        values.Sort();
        return values.Count == 0 ? 0 : values.Count % 2 == 1 ? values[values.Count / 2] : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2;
    }
}

/// <summary>A check of correctness failed: the run is void, whatever its timings.</summary>
internal sealed class BenchCheckException(string message) : Exception(message);
