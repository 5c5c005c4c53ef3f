using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentLedger.Bench;

/// <summary>One line of results (WORKLOAD.md's JSON line shape).</summary>
internal sealed record Measurement(
    [property: JsonPropertyName("system")] string System,
    [property: JsonPropertyName("backend")] string Backend,
    [property: JsonPropertyName("phase")] string Phase,
    [property: JsonPropertyName("n")] long N,
    [property: JsonPropertyName("seconds")] double? Seconds = null,
    [property: JsonPropertyName("rate_per_s")] double? RatePerS = null,
    [property: JsonPropertyName("median_us")] double? MedianUs = null,
    [property: JsonPropertyName("rss_mb")] double? RssMb = null,
    [property: JsonPropertyName("note")] string? Note = null)
{
    private static readonly JsonSerializerOptions Options = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    /// <summary>The figure a phase is judged by, printed with its unit.</summary>
    [JsonIgnore]
    public string Figure => this switch
    {
        { RatePerS: { } rate } => string.Create(CultureInfo.InvariantCulture, $"{rate:N0} ev/s"),
        { MedianUs: { } us } => us >= 1000 ? string.Create(CultureInfo.InvariantCulture, $"{us / 1000:0.00} ms") : string.Create(CultureInfo.InvariantCulture, $"{us:0} µs"),
        { Seconds: { } s } => string.Create(CultureInfo.InvariantCulture, $"{s * 1000:0.0} ms"),
        _ => Note ?? "",
    };

    public static double Rate(long n, TimeSpan elapsed) => n / Math.Max(elapsed.TotalSeconds, 1e-9);

    public static double Median(List<double> values)
    {
        values.Sort();
        return values.Count == 0 ? 0 : values.Count % 2 == 1 ? values[values.Count / 2] : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2;
    }
}
