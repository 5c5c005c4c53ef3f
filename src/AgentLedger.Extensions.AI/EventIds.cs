using System.Security.Cryptography;
using System.Text;

namespace AgentLedger.Extensions.AI;

/// <summary>
/// Deterministic event ids: the same inputs (run, turn, actor, what, sequence) give the same id in every
/// process, so a retried call or a restarted run appends a duplicate instead of a second event.
/// </summary>
internal static class EventIds
{
    /// <summary>A 32-character lower-case hex id (128 bits of SHA-256) of the parts.</summary>
    public static string Of(params ReadOnlySpan<string> parts)
    {
        // Length-prefixed parts: ("ab", "c") and ("a", "bc") must not collide.
        var builder = new StringBuilder(128);
        foreach (var part in parts)
        {
            builder.Append(part.Length).Append(':').Append(part).Append('|');
        }

        Span<byte> hash = stackalloc byte[32];
        var text = builder.ToString();
        var bytes = Encoding.UTF8.GetByteCount(text) <= 1024 ? stackalloc byte[1024] : new byte[Encoding.UTF8.GetByteCount(text)];
        var length = Encoding.UTF8.GetBytes(text, bytes);
        SHA256.HashData(bytes[..length], hash);
        return Convert.ToHexStringLower(hash[..16]);
    }
}
