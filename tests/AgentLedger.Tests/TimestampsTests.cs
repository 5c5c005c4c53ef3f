using AgentLedger.Storage;
using Xunit;

namespace AgentLedger.Tests;

public sealed class TimestampsTests
{
    [Fact]
    public void Format_writes_six_fraction_digits_and_an_explicit_utc_offset()
    {
        var time = new DateTimeOffset(2026, 6, 7, 10, 11, 12, 0, 0, TimeSpan.Zero);

        Assert.Equal("2026-06-07T10:11:12.000000+00:00", Timestamps.Format(time));
        Assert.Equal("2026-06-07T10:11:12.123456+00:00", Timestamps.Format(time.AddTicks(1_234_567)));
    }

    [Theory]
    [InlineData("2026-06-07T10:11:12.123456+00:00", "2026-06-07T10:11:12.1234560+00:00")]
    [InlineData("2026-06-07T10:11:12+00:00", "2026-06-07T10:11:12.0000000+00:00")]
    [InlineData("2026-06-07T12:11:12.5+02:00", "2026-06-07T10:11:12.5000000+00:00")]
    [InlineData("2026-06-07 10:11:12.123456", "2026-06-07T10:11:12.1234560+00:00")]
    [InlineData("2026-06-07 10:11:12", "2026-06-07T10:11:12.0000000+00:00")]
    [InlineData("2026-06-07T10:11:12.123456Z", "2026-06-07T10:11:12.1234560+00:00")]
    [InlineData("2026-06-07T10:11:12.123456", "2026-06-07T10:11:12.1234560+00:00")]
    [InlineData("2026-06-07T10:11:12", "2026-06-07T10:11:12.0000000+00:00")]
    public void Parse_reads_every_shape_the_reference_writes_as_utc(string text, string expected)
    {
        var parsed = Timestamps.Parse(text);

        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), parsed);
        Assert.Equal(TimeSpan.Zero, parsed.Offset);
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("2026-13-07T10:11:12.123456+00:00")]
    [InlineData("")]
    public void Parse_rejects_text_that_is_not_a_time(string text)
        => Assert.Throws<FormatException>(() => Timestamps.Parse(text));
}
