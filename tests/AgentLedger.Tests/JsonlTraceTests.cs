using Xunit;

namespace AgentLedger.Tests;

public sealed class JsonlTraceTests
{
    [Fact]
    public void Write_then_parse_round_trips_every_field_and_the_offset()
    {
        var e = new LedgerEvent("run-1", 4, "agent.spoke", "fox", """{"text":"a\u2028b","big":123456789012345678901234567890}""",
            id: "id-1", createdAt: new DateTimeOffset(2026, 6, 7, 10, 11, 12, 1, 2, TimeSpan.Zero), schemaVersion: 2,
            sessionId: "s-1", modelProfile: "fast", modelId: "m/1");

        var line = JsonlTrace.Write(new StoredEvent(17, e));
        var (parsed, offset) = JsonlTrace.ParseLine(line, 1);

        Assert.DoesNotContain('\n', line);
        Assert.Equal(17, offset);
        Assert.True(e.HasSameContentAs(parsed));
        Assert.Equal(e.Payload, parsed.Payload);
        Assert.Equal(e.CreatedAt, parsed.CreatedAt);
        Assert.Contains("\"created_at\":\"2026-06-07T10:11:12.001002+00:00\"", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_reads_a_reference_trace_line_without_offset()
    {
        const string line = """{"id": "abc", "run_id": "r", "turn": 0, "kind": "run.started", "actor": "engine", "payload": {"seed": 7, "goal": "caf\u00e9"}, "created_at": "2026-06-07 10:11:12.123456", "schema_version": 1, "session_id": null}""";

        var (e, offset) = JsonlTrace.ParseLine(line, 3);

        Assert.Null(offset);
        Assert.Equal("abc", e.Id);
        Assert.Equal("""{"seed": 7, "goal": "caf\u00e9"}""", e.Payload);
        Assert.Null(e.ModelId);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1,2]", "expected a JSON object")]
    [InlineData("""{"run_id":"r","turn":0,"kind":"agent.spoke","actor":"a"}""", "missing field 'payload'")]
    [InlineData("""{"run_id":"r","turn":0,"kind":"agent.spoke","actor":"a","payload":[1]}""", "payload must be a JSON object")]
    [InlineData("""{"run_id":"r","turn":0,"kind":"Bad","actor":"a","payload":{}}""", "kind")]
    [InlineData("""{"run_id":"r","turn":"zero","kind":"agent.spoke","actor":"a","payload":{}}""", "'turn' must be a whole number")]
    [InlineData("""{"run_id":"r","turn":0,"kind":"agent.spoke","actor":"a","payload":{},"created_at":"soon"}""", "created_at")]
    public void Parse_names_the_line_and_the_reason_when_a_line_is_malformed(string line, string reason)
    {
        var error = Assert.Throws<JsonlFormatException>(() => JsonlTrace.ParseLine(line, 42));

        Assert.Equal(42, error.LineNumber);
        Assert.StartsWith("line 42: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_splits_on_newlines_only_and_counts_lines_from_one()
    {
        var text = "{\"run_id\":\"r\",\"turn\":0,\"kind\":\"a.b\",\"actor\":\"x\",\"payload\":{\"t\":\"\u2028\u2029\"}}\n\n{oops}\n";
        var lines = new List<long>();

        var error = await Assert.ThrowsAsync<JsonlFormatException>(async () =>
        {
            await foreach (var (_, _, line) in JsonlTrace.ReadAsync(new StringReader(text), TestContext.Current.CancellationToken))
            {
                lines.Add(line);
            }
        });

        Assert.Equal([1L], lines);
        Assert.Equal(3, error.LineNumber);
    }
}
