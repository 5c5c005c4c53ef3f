using System.Security.Cryptography;
using System.Text;

namespace AgentLedger;

/// <summary>A fingerprint of a ledger's content: count, latest offset and SHA-256 over its JSONL trace.</summary>
/// <remarks>Two ledgers with equal digests hold the same events at the same offsets, every field equal.</remarks>
public sealed record LedgerDigest(long Count, long LatestOffset, string Sha256)
{
    public override string ToString() => $"{Count} events, latest offset {LatestOffset}, sha256 {Sha256}";

    /// <summary>Streams the whole ledger once, in constant memory.</summary>
    public static async Task<LedgerDigest> ComputeAsync(ILedger ledger, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long count = 0, latest = 0;
        var newline = "\n"u8.ToArray();
        await foreach (var stored in ledger.ReadAsync(EventQuery.All, cancellationToken).ConfigureAwait(false))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(JsonlTrace.Write(stored)));
            hash.AppendData(newline);
            count++;
            latest = stored.Offset;
        }

        return new LedgerDigest(count, latest, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }
}
