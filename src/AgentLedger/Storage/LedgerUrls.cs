namespace AgentLedger.Storage;

/// <summary>For providers: telling a URL from a path or a connection string the same way everywhere.</summary>
public static class LedgerUrls
{
    /// <summary>
    /// The scheme of <paramref name="text"/> (lower case) when it starts with <c>scheme://</c>, else null. A scheme is
    /// a letter then letters, digits, <c>+</c>, <c>-</c> or <c>.</c> (RFC 3986): <c>Password=a://b</c> is no URL.
    /// </summary>
    public static string? SchemeOf(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var end = text.IndexOf("://", StringComparison.Ordinal);
        if (end <= 0 || !char.IsAsciiLetter(text[0]))
        {
            return null;
        }

        foreach (var c in text.AsSpan(0, end))
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '-' or '.'))
            {
                return null;
            }
        }

        return text[..end].ToLowerInvariant();
    }
}
