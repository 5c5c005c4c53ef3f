using System.Globalization;
using System.Numerics;

namespace AgentLedger.Storage;

/// <summary>
/// For backends and traces: the one text spelling of <c>created_at</c> that both AgentLedger and the reference read:
/// <c>2026-06-07T10:11:12.123456+00:00</c> (six fraction digits, explicit UTC offset).
/// </summary>
public static class Timestamps
{
    private const long TicksPerMicrosecond = TimeSpan.TicksPerMillisecond / 1000;

    private static readonly string[] ReadableFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz",
        "yyyy-MM-dd'T'HH:mm:sszzz",
        "yyyy-MM-dd HH:mm:ss.FFFFFFF",
        "yyyy-MM-dd HH:mm:ss",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF",
        "yyyy-MM-dd'T'HH:mm:ss",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'",
        "yyyy-MM-dd'T'HH:mm:ss'Z'",
        "yyyy-MM-dd HH:mm:ss.FFFFFFFzzz",
        "yyyy-MM-dd HH:mm:sszzz",
    ];

    /// <summary>UTC, truncated to whole microseconds: what every store can hold exactly.</summary>
    public static DateTimeOffset ToStoredPrecision(DateTimeOffset value)
    {
        var utcTicks = value.UtcTicks;
        return new DateTimeOffset(utcTicks - (utcTicks % TicksPerMicrosecond), TimeSpan.Zero);
    }

    /// <summary>The reference's spelling of a UTC time (of <see cref="DateTimeOffset.UtcDateTime"/>), for formatting into a buffer.</summary>
    public const string StoredFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'";

    /// <summary>Writes the reference's spelling: six fraction digits and <c>+00:00</c>.</summary>
    public static string Format(DateTimeOffset value)
        => value.UtcDateTime.ToString(StoredFormat, CultureInfo.InvariantCulture);

    /// <summary>
    /// Reads both shapes the reference writes: ISO-8601 with an offset (fraction optional) and
    /// <c>yyyy-MM-dd HH:mm:ss.ffffff</c> without a zone, which means UTC (with a <c>T</c> as well: the same rule for both spellings).
    /// </summary>
    public static DateTimeOffset Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (TryParseCanonical(text.AsSpan(), out var fast))
        {
            return fast;
        }

        if (DateTimeOffset.TryParseExact(
                text, ReadableFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            return ToStoredPrecision(parsed);
        }

        throw new FormatException($"'{text}' is not a created_at time (expected e.g. 2026-06-07T10:11:12.123456+00:00)");
    }

    /// <summary>The length of a time in <see cref="StoredFormat"/>.</summary>
    public const int StoredLength = 32;

    /// <summary>
    /// Writes <paramref name="value"/> in <see cref="StoredFormat"/> (UTC, microseconds, truncated as
    /// <see cref="Format"/> does) straight into UTF-8: the digits of a fixed shape, without parsing a format
    /// string on every call. Returns <see cref="StoredLength"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="utf8"/> is shorter than <see cref="StoredLength"/>.</exception>
    public static int FormatStored(DateTimeOffset value, Span<byte> utf8)
    {
        if (utf8.Length < StoredLength)
        {
            throw new ArgumentException($"a stored time needs {StoredLength} bytes", nameof(utf8));
        }

        var utc = value.UtcDateTime;
        DateOnly.FromDateTime(utc).Deconstruct(out var year, out var month, out var day);
        WriteDigits(utf8, 0, 4, year);
        utf8[4] = (byte)'-';
        WriteDigits(utf8, 5, 2, month);
        utf8[7] = (byte)'-';
        WriteDigits(utf8, 8, 2, day);
        utf8[10] = (byte)'T';
        WriteDigits(utf8, 11, 2, utc.Hour);
        utf8[13] = (byte)':';
        WriteDigits(utf8, 14, 2, utc.Minute);
        utf8[16] = (byte)':';
        WriteDigits(utf8, 17, 2, utc.Second);
        utf8[19] = (byte)'.';
        WriteDigits(utf8, 20, 6, (int)(utc.Ticks % TimeSpan.TicksPerSecond / TicksPerMicrosecond));
        "+00:00"u8.CopyTo(utf8[26..]);
        return StoredLength;
    }

    private static void WriteDigits(Span<byte> utf8, int start, int count, int value)
    {
        for (var i = start + count - 1; i >= start; i--)
        {
            utf8[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }

    /// <summary>
    /// Reads the time straight from a store's UTF-8 bytes when it has the shape AgentLedger writes (no string
    /// made); false for any other shape, which <see cref="Parse"/> then reads from text.
    /// </summary>
    public static bool TryParseStored(ReadOnlySpan<byte> utf8, out DateTimeOffset value)
        => TryParseCanonical(utf8, out value);

    // The shape we write ourselves is by far the most common: read it without the general parser, from text or
    // straight from UTF-8 bytes (the same code for both: a non-ASCII byte or char can only fail the shape check).
    private static bool TryParseCanonical<T>(ReadOnlySpan<T> s, out DateTimeOffset value)
        where T : unmanaged, IBinaryInteger<T>
    {
        value = default;
        if (s.Length != StoredLength || !Is(s, 4, '-') || !Is(s, 7, '-') || !Is(s, 10, 'T') || !Is(s, 13, ':') || !Is(s, 16, ':')
            || !Is(s, 19, '.') || !Is(s, 26, '+') || !Is(s, 27, '0') || !Is(s, 28, '0') || !Is(s, 29, ':') || !Is(s, 30, '0') || !Is(s, 31, '0'))
        {
            return false;
        }

        if (!TryDigits(s, 0, 4, out var year) || !TryDigits(s, 5, 2, out var month) || !TryDigits(s, 8, 2, out var day)
            || !TryDigits(s, 11, 2, out var hour) || !TryDigits(s, 14, 2, out var minute) || !TryDigits(s, 17, 2, out var second)
            || !TryDigits(s, 20, 6, out var micro))
        {
            return false;
        }

        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year == 0 ? 1 : year, month) || hour > 23 || minute > 59 || second > 59 || year == 0)
        {
            return false;
        }

        var ticks = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).Ticks + (micro * TicksPerMicrosecond);
        value = new DateTimeOffset(ticks, TimeSpan.Zero);
        return true;
    }

    private static bool Is<T>(ReadOnlySpan<T> s, int index, char expected)
        where T : unmanaged, IBinaryInteger<T>
        => int.CreateTruncating(s[index]) == expected;

    private static bool TryDigits<T>(ReadOnlySpan<T> s, int start, int count, out int value)
        where T : unmanaged, IBinaryInteger<T>
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            var digit = int.CreateTruncating(s[i]) - '0';
            if ((uint)digit > 9)
            {
                return false;
            }

            value = (value * 10) + digit;
        }

        return true;
    }
}
