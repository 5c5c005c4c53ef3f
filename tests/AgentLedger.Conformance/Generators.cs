using CsCheck;

namespace AgentLedger.Conformance;

/// <summary>Generators for property tests: envelopes that validate, JSON payloads, hostile text.</summary>
public static class Generators
{
    /// <summary>
    /// Iterations per property: a few thousand inside the test command; <c>AGENTLEDGER_PROPERTY_ITER</c>
    /// raises it for long runs (<c>scripts/fuzz.sh</c>). A failure prints the seed that reproduces it.
    /// </summary>
    public static long Iterations(long inTestRun)
        => long.TryParse(Environment.GetEnvironmentVariable("AGENTLEDGER_PROPERTY_ITER"), out var n) && n > 0 ? n : inTestRun;

    /// <summary>Any character, with the troublesome ones (controls, NUL, surrogates, quotes, non-BMP halves) over-represented.</summary>
    public static readonly Gen<char> AnyChar = Gen.Frequency(
        (6, Gen.Char['a', 'z']),
        (2, Gen.Char),
        (1, Gen.OneOf('\0', '\u001b', '\u0007', '\n', '\r', '\t', '"', '\\', '\u2028', '\u202e', '\ud800', '\udfff', '\ufeff', '\u00e9')));

    public static readonly Gen<string> AnyText = Gen.String[AnyChar, 0, 24];

    /// <summary>Text every field accepts: printable, including non-ASCII and whole surrogate pairs.</summary>
    public static readonly Gen<string> SafeText = Gen.Frequency(
        (8, Gen.String[Gen.Char['!', '~'], 1, 20]),
        (2, Gen.OneOf("é", "☃ snow", "🦊 fox", "日本語", "a b", "x\u2028y"))).Where(s => !string.IsNullOrWhiteSpace(s));

    public static readonly Gen<string> Kind = Gen.Select(Gen.String[Gen.Char['a', 'z'], 1, 6], Gen.String[Gen.Char['a', 'z'], 1, 6], (a, b) => $"{a}.{b}");

    /// <summary>A JSON object with nested values, big and odd numbers, unicode and escapes.</summary>
    public static readonly Gen<string> Payload = Gen.Recursive<string>((depth, self) =>
    {
        var scalar = Gen.OneOf(
            Gen.Long.Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Gen.OneOf("123456789012345678901234567890", "-0.000001e-7", "1.50", "true", "false", "null", "\"\\u0000\"", "\"\\ud83e\\udd8a\"", "\"tab\\tquote\\\"\""),
            SafeText.Select(s => System.Text.Json.JsonSerializer.Serialize(s)));
        if (depth > 3)
        {
            return scalar.Select(v => $"{{\"v\":{v}}}");
        }

        var value = Gen.Frequency((4, scalar), (1, self), (1, self.Array[0, 3].Select(items => "[" + string.Join(",", items) + "]")));
        return Gen.Select(Gen.String[Gen.Char['a', 'z'], 1, 5], value).Array[0, 4]
            .Select(pairs => "{" + string.Join(",", pairs.DistinctBy(p => p.Item1).Select(p => $"\"{p.Item1}\":{p.Item2}")) + "}");
    });

    /// <summary>Events that validate, every optional field sometimes set and sometimes not.</summary>
    public static readonly Gen<LedgerEvent> Event = Gen.Select(
        Gen.Select(SafeText, Gen.Int[0, int.MaxValue], Kind, SafeText),
        Gen.Select(Payload, Gen.Long[0, 253402300799L * 1_000_000 - 1], Gen.Int[1, 5]),
        Gen.Select(SafeText.Null(), SafeText.Null(), SafeText.Null()),
        Gen.Guid,
        (a, b, c, id) => new LedgerEvent(
            runId: a.Item1, turn: a.Item2, kind: a.Item3, actor: a.Item4, payload: b.Item1, id: id.ToString(),
            createdAt: DateTimeOffset.UnixEpoch.AddTicks(b.Item2 % (DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10 * 10),
            schemaVersion: b.Item3, sessionId: c.Item1, modelProfile: c.Item2, modelId: c.Item3));
}
