using System.Security.Cryptography;
using System.Text;

namespace AgentLedger;

/// <summary>The outcome of <see cref="LedgerVerification.VerifyAsync"/>: problems found (at most 100 listed) and the digest.</summary>
public sealed record VerificationReport(IReadOnlyList<string> Problems, long ProblemCount, LedgerDigest Digest)
{
    public bool IsValid => ProblemCount == 0;
}

/// <summary>Checks a ledger's integrity in one streaming pass.</summary>
public static class LedgerVerification
{
    private const int MaxListed = 100;

    /// <summary>
    /// Offsets increasing and unique, ids unique, payloads JSON objects, kinds well-formed, turn and
    /// schema version in range, times readable, the store's layout version known; plus the digest.
    /// </summary>
    public static async Task<VerificationReport> VerifyAsync(ILedgerReader ledger, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        var problems = new List<string>();
        long problemCount = 0;
        void Problem(string text)
        {
            problemCount++;
            if (problems.Count < MaxListed)
            {
                problems.Add(text);
            }
        }

        if (ledger.Description.SchemaVersion > ledger.Description.MaxKnownSchemaVersion)
        {
            Problem($"the store's layout version {ledger.Description.SchemaVersion} is newer than this build knows ({ledger.Description.MaxKnownSchemaVersion})");
        }

        // 8 bytes of SHA-256 per id: memory of a few dozen bytes per event, and a collision is ~1e-8 at 10^6 events.
        var ids = new HashSet<long>();
        using var digest = new LedgerDigest.Builder();
        long previous = 0;
        await foreach (var stored in ledger.ReadAsync(EventQuery.All, cancellationToken).ConfigureAwait(false))
        {
            var e = stored.Event;
            var at = $"offset {stored.Offset} (id {e.Id})";
            if (stored.Offset <= previous)
            {
                Problem($"{at}: offset does not increase (after {previous})");
            }

            if (!ids.Add(BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes(e.Id)), 0)))
            {
                Problem($"{at}: id appears more than once");
            }

            if (!LedgerEvent.IsValidKind(e.Kind))
            {
                Problem($"{at}: kind '{e.Kind}' is not well-formed");
            }

            if (e.Turn < 0 || e.SchemaVersion < 1)
            {
                Problem($"{at}: turn {e.Turn} or schema_version {e.SchemaVersion} out of range");
            }

            if (string.IsNullOrEmpty(e.Id) || e.Id.Length > LedgerEvent.MaxIdLength || string.IsNullOrWhiteSpace(e.RunId) || string.IsNullOrWhiteSpace(e.Actor))
            {
                Problem($"{at}: id, run_id or actor empty or too long");
            }

            try
            {
                PayloadJson.Validate(e.Payload);
            }
            catch (InvalidEventException ex)
            {
                Problem($"{at}: {ex.Message}");
            }

            digest.Add(stored);
            previous = Math.Max(previous, stored.Offset);
        }

        return new VerificationReport(problems, problemCount, digest.Finish());
    }
}
