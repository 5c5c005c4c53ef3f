using System.Security.Cryptography;
using System.Text;

namespace AgentLedger;

/// <summary>A fingerprint of a ledger's content: count, latest offset and SHA-256 over its JSONL trace.</summary>
/// <remarks>Two ledgers with equal digests hold the same events at the same offsets, every field equal.</remarks>
public sealed record LedgerDigest(long Count, long LatestOffset, string Sha256)
{
    public override string ToString() => $"{Count} events, latest offset {LatestOffset}, sha256 {Sha256}";

    /// <summary>Streams the ledger once, in constant memory: every event, or those up to offset <paramref name="upTo"/>.</summary>
    public static async Task<LedgerDigest> ComputeAsync(ILedgerReader ledger, long? upTo = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        using var builder = new Builder();
        await foreach (var stored in ledger.ReadAsync(new EventQuery { UpTo = upTo }, cancellationToken).ConfigureAwait(false))
        {
            builder.Add(stored);
        }

        return builder.Finish();
    }

    /// <summary>Adds events one by one, in offset order.</summary>
    internal sealed class Builder : IDisposable
    {
        private static readonly byte[] Newline = "\n"u8.ToArray();
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long _count;
        private long _latest;

        public void Add(StoredEvent stored)
        {
            string line;
            try
            {
                line = JsonlTrace.Write(stored);
            }
            catch (LedgerStorageException ex) when (ex.Kind == LedgerErrorKind.InvalidData)
            {
                // A stored payload that is not JSON (verify reports it): hash its raw text instead.
                line = $"{stored.Offset} {stored.Event.Id} {stored.Event.Payload}";
            }

            _hash.AppendData(Encoding.UTF8.GetBytes(line));
            _hash.AppendData(Newline);
            _count++;
            _latest = Math.Max(_latest, stored.Offset);
        }

        public LedgerDigest Finish() => new(_count, _latest, Convert.ToHexStringLower(_hash.GetHashAndReset()));

        public void Dispose() => _hash.Dispose();
    }
}
