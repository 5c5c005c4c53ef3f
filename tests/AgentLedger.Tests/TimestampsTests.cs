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

    [Fact]
    public void FormatStored_writes_the_bytes_Format_writes_and_TryParseStored_reads_them_back()
    {
        var random = new Random(7);
        var times = new List<DateTimeOffset> { DateTimeOffset.MinValue, DateTimeOffset.MaxValue, new(2026, 2, 28, 23, 59, 59, TimeSpan.FromHours(-5)) };
        times.AddRange(Enumerable.Range(0, 2_000).Select(_ => new DateTimeOffset(random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), TimeSpan.Zero)
            .ToOffset(TimeSpan.FromMinutes(random.Next(-14 * 60, 14 * 60)))));
        Span<byte> utf8 = stackalloc byte[Timestamps.StoredLength];
        foreach (var time in times)
        {
            var written = Timestamps.FormatStored(time, utf8);

            Assert.Equal(Timestamps.Format(time), System.Text.Encoding.UTF8.GetString(utf8[..written]));
            Assert.True(Timestamps.TryParseStored(utf8[..written], out var parsed));
            Assert.Equal(Timestamps.ToStoredPrecision(time), parsed);
        }

        Assert.Throws<ArgumentException>(() => Timestamps.FormatStored(DateTimeOffset.UnixEpoch, new byte[31]));
    }

    [Theory]
    [InlineData("2026-06-07T10:11:12.123456+00:0")] // one byte short
    [InlineData("2026-06-07T10:11:12.123456+01:00")] // not UTC
    [InlineData("2026-06-07 10:11:12.123456+00:00")] // a space for the T
    [InlineData("2026-02-30T10:11:12.123456+00:00")] // no such day
    [InlineData("0000-06-07T10:11:12.123456+00:00")] // no year 0
    [InlineData("2026-06-07T24:11:12.123456+00:00")]
    public void TryParseStored_rejects_every_other_shape(string text)
        => Assert.False(Timestamps.TryParseStored(System.Text.Encoding.UTF8.GetBytes(text), out _));

    [Fact]
    public void TryParseStored_never_reads_a_non_ascii_byte_as_a_digit_or_separator()
    {
        var stored = System.Text.Encoding.UTF8.GetBytes("2026-06-07T10:11:12.123456+00:00");
        for (var i = 0; i < stored.Length; i++)
        {
            foreach (var b in new byte[] { 0xB0, 0xAD, 0xBA, 0xD4, 0xFF })
            {
                var changed = (byte[])stored.Clone();
                changed[i] = b; // 0xB0 truncates to '0' only if the high bit were dropped; 0xAD/0xBA likewise to '-' and ':'
                Assert.False(Timestamps.TryParseStored(changed, out _), $"byte {i} = 0x{b:X2}");
            }
        }
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("2026-13-07T10:11:12.123456+00:00")]
    [InlineData("")]
    public void Parse_rejects_text_that_is_not_a_time(string text)
        => Assert.Throws<FormatException>(() => Timestamps.Parse(text));
}
