using System.Text;
using Xunit;

namespace AgentLedger.Tests;

/// <summary>Input no backend can store the same way is refused when the event is built, naming the field; traces name the line.</summary>
public sealed class HostileInputTests
{
    public static TheoryData<string> TextFields => ["id", "run_id", "actor", "model_profile", "model_id"];

    [Theory]
    [MemberData(nameof(TextFields))]
    public void A_nul_character_in_any_text_field_is_refused_naming_the_field(string field)
        => Assert.Equal(field, Assert.Throws<InvalidEventException>(() => With(field, "a\0b")).Field);

    [Theory]
    [MemberData(nameof(TextFields))]
    public void A_lone_surrogate_in_any_text_field_is_refused_naming_the_field(string field)
    {
        Assert.Equal(field, Assert.Throws<InvalidEventException>(() => With(field, "r\ud800")).Field);
        Assert.Equal(field, Assert.Throws<InvalidEventException>(() => With(field, "\udc00r")).Field);
        Assert.NotNull(With(field, "pair \ud83d\ude00 ok"));
    }

    [Theory]
    [MemberData(nameof(TextFields))]
    public void An_indexed_field_longer_than_the_documented_maximum_is_refused(string field)
    {
        var tooLong = new string('m', field == "id" ? LedgerEvent.MaxIdLength + 1 : LedgerEvent.MaxIndexedLength + 1);
        Assert.Equal(field, Assert.Throws<InvalidEventException>(() => With(field, tooLong)).Field);
    }

    [Fact]
    public void A_payload_holding_a_lone_surrogate_is_refused()
        => Assert.Equal("payload", Assert.Throws<InvalidEventException>(() => new LedgerEvent("r", 0, "agent.spoke", "fox", "{\"t\":\"a\ud800\"}")).Field);

    [Fact]
    public void A_payload_as_deep_as_allowed_survives_export_and_import()
    {
        const int depth = 64;
        var payload = string.Concat(Enumerable.Repeat("{\"a\":", depth - 1)) + "{}" + new string('}', depth - 1);
        var e = new LedgerEvent("r", 0, "agent.spoke", "fox", payload);

        var (back, _) = JsonlTrace.ParseLine(JsonlTrace.Write(new StoredEvent(1, e)), 1);

        Assert.Equal(e.Payload, back.Payload);
        Assert.Throws<InvalidEventException>(() => new LedgerEvent("r", 0, "agent.spoke", "fox", "{\"a\":" + payload + "}"));
    }

    [Fact]
    public async Task Invalid_utf8_in_a_trace_is_refused_with_its_line_number()
    {
        var bytes = Encoding.UTF8.GetBytes(Line("ok-1") + "\n" + Line("ok-2") + "\n").Concat(Encoding.UTF8.GetBytes(Line("bad")).Select(b => b == (byte)'X' ? (byte)0xFF : b)).ToArray();

        var error = await Assert.ThrowsAsync<JsonlFormatException>(async () => await ReadAllAsync(bytes));

        Assert.Equal(3, error.LineNumber);
        Assert.Contains("UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_escaped_lone_surrogate_in_a_field_is_refused_with_its_line_number()
    {
        var trace = Line("ok-1") + "\n" + Line("ok-2").Replace("\"fox\"", "\"r\\ud800\"", StringComparison.Ordinal) + "\n";

        var error = await Assert.ThrowsAsync<JsonlFormatException>(async () => await ReadAllAsync(Encoding.UTF8.GetBytes(trace)));

        Assert.Equal(2, error.LineNumber);
    }

    [Fact]
    public async Task A_trace_with_a_byte_order_mark_crlf_and_no_final_newline_reads_every_line()
    {
        var trace = "\uFEFF" + Line("a") + "\r\n\r\n" + Line("b") + "\r\n" + Line("c");

        var ids = await ReadAllAsync(Encoding.UTF8.GetBytes(trace));

        Assert.Equal(["a", "b", "c"], ids);
    }

    [Fact]
    public void A_foreign_payload_that_is_not_json_is_a_conflict_not_an_exception()
    {
        var stored = Storage.StoredRow.ToStoredEvent(1, "x", "r", 0, "agent.spoke", "fox", "not json", DateTimeOffset.UnixEpoch, 1, null, null, null);

        Assert.False(stored.Event.HasSameContentAs(new LedgerEvent("r", 0, "agent.spoke", "fox", "{}", id: "x")));
        var error = Assert.Throws<LedgerStorageException>(() => JsonlTrace.Write(stored));
        Assert.Equal(LedgerErrorKind.InvalidData, error.Kind);
        Assert.Contains("offset 1", error.Message, StringComparison.Ordinal);
    }

    private static string Line(string id, string text = "X")
        => "{\"id\":\"" + id + "\",\"run_id\":\"r\",\"turn\":0,\"kind\":\"agent.spoke\",\"actor\":\"fox\",\"payload\":{\"text\":\"" + text + "\"}}";

    private static async Task<List<string>> ReadAllAsync(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes);
        var ids = new List<string>();
        await foreach (var (e, _, _) in JsonlTrace.ReadAsync(stream, TestContext.Current.CancellationToken))
        {
            ids.Add(e.Id);
        }

        return ids;
    }

    private static LedgerEvent With(string field, string value) => field switch
    {
        "id" => new LedgerEvent("r", 0, "agent.spoke", "fox", "{}", id: value),
        "run_id" => new LedgerEvent(value, 0, "agent.spoke", "fox", "{}"),
        "actor" => new LedgerEvent("r", 0, "agent.spoke", value, "{}"),
        "model_profile" => new LedgerEvent("r", 0, "agent.spoke", "fox", "{}", modelProfile: value),
        _ => new LedgerEvent("r", 0, "agent.spoke", "fox", "{}", modelId: value),
    };
}
