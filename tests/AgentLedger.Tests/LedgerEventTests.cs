using System.Text.Json.Nodes;
using Xunit;

namespace AgentLedger.Tests;

public sealed class LedgerEventTests
{
    private static LedgerEvent Make(
        string run = "run-1", int turn = 0, string kind = "agent.spoke", string actor = "alice", string payload = "{}",
        string? id = null, int schemaVersion = 1, string? session = null)
        => new(run, turn, kind, actor, payload, id: id, schemaVersion: schemaVersion, sessionId: session);

    [Theory]
    [InlineData("agent.spoke")]
    [InlineData("clue.found")]
    [InlineData("a.b.c")]
    [InlineData("run2.finished9")]
    public void Kind_is_accepted_when_dot_namespaced_lower_case(string kind)
        => Assert.Equal(kind, Make(kind: kind).Kind);

    [Theory]
    [InlineData("agent")]
    [InlineData("Agent.spoke")]
    [InlineData("agent.Spoke")]
    [InlineData("agent..spoke")]
    [InlineData(".agent.spoke")]
    [InlineData("agent.spoke.")]
    [InlineData("agent.2spoke")]
    [InlineData("agent_x.spoke")]
    [InlineData("agent.spoke\n")]
    [InlineData("")]
    public void Kind_is_rejected_with_the_field_and_rule_when_malformed(string kind)
    {
        var error = Assert.Throws<InvalidEventException>(() => Make(kind: kind));

        Assert.Equal("kind", error.Field);
        Assert.Equal(LedgerEvent.KindPattern, error.Rule);
        Assert.Contains("kind", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[]", "an array")]
    [InlineData("\"text\"", "a string")]
    [InlineData("42", "a number")]
    [InlineData("null", "null")]
    [InlineData("true", "a boolean")]
    [InlineData("{\"a\":1", "not valid JSON")]
    [InlineData("{} {}", "not valid JSON")]
    [InlineData("", "empty")]
    public void Payload_is_rejected_when_not_one_json_object(string payload, string expected)
    {
        var error = Assert.Throws<InvalidEventException>(() => Make(payload: payload));

        Assert.Equal("payload", error.Field);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Payload_object_is_serialised_compactly_keeping_unicode_and_big_numbers()
    {
        var payload = new JsonObject { ["text"] = "naïve 😀", ["big"] = JsonNode.Parse("123456789012345678901234567890") };

        var e = new LedgerEvent("r", 0, "agent.spoke", "a", payload);

        Assert.Equal("naïve 😀", e.PayloadElement.GetProperty("text").GetString());
        Assert.Equal("123456789012345678901234567890", e.PayloadElement.GetProperty("big").GetRawText());
        Assert.StartsWith("""{"text":"naïve """, e.Payload, StringComparison.Ordinal);
    }

    [Fact]
    public void Id_defaults_to_a_new_uuid()
    {
        var a = Make();
        var b = Make();

        Assert.True(Guid.TryParse(a.Id, out _));
        Assert.NotEqual(a.Id, b.Id);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Id_is_rejected_when_empty(string id)
        => Assert.Equal("id", Assert.Throws<InvalidEventException>(() => Make(id: id)).Field);

    [Fact]
    public void Id_is_rejected_when_longer_than_64_characters()
    {
        Assert.Equal(new string('x', 64), Make(id: new string('x', 64)).Id);
        Assert.Equal("id", Assert.Throws<InvalidEventException>(() => Make(id: new string('x', 65))).Field);
    }

    [Theory]
    [InlineData("", "alice", "run_id")]
    [InlineData("run", " ", "actor")]
    public void Run_and_actor_are_rejected_when_empty(string run, string actor, string field)
        => Assert.Equal(field, Assert.Throws<InvalidEventException>(() => Make(run: run, actor: actor)).Field);

    [Fact]
    public void Turn_and_schema_version_are_rejected_below_their_minimum()
    {
        Assert.Equal("turn", Assert.Throws<InvalidEventException>(() => Make(turn: -1)).Field);
        Assert.Equal("schema_version", Assert.Throws<InvalidEventException>(() => Make(schemaVersion: 0)).Field);
        Assert.Equal(0, Make(turn: 0).Turn);
    }

    [Theory]
    [InlineData("sess-1", "sess-1")]
    [InlineData("  A.b_c-9  ", "A.b_c-9")]
    [InlineData("has space", null)]
    [InlineData("semi;colon", null)]
    [InlineData("ünïcode", null)]
    [InlineData("", null)]
    [InlineData("line\nbreak", null)]
    [InlineData("ok\n", "ok")]
    public void Session_id_is_normalised_to_null_when_it_breaks_the_rule(string input, string? expected)
        => Assert.Equal(expected, Make(session: input).SessionId);

    [Fact]
    public void Session_id_of_65_characters_becomes_null()
    {
        Assert.Null(Make(session: new string('s', 65)).SessionId);
        Assert.Equal(new string('s', 64), Make(session: new string('s', 64)).SessionId);
    }

    [Fact]
    public void Created_at_is_stored_as_utc_truncated_to_microseconds()
    {
        var local = new DateTimeOffset(2026, 1, 2, 3, 4, 5, 6, 7, TimeSpan.FromHours(-5)).AddTicks(9);

        var e = new LedgerEvent("r", 0, "agent.spoke", "a", "{}", createdAt: local);

        Assert.Equal(TimeSpan.Zero, e.CreatedAt.Offset);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 8, 4, 5, 6, 7, TimeSpan.Zero), e.CreatedAt);
    }

    [Fact]
    public void Content_comparison_ignores_created_at_and_json_spacing_but_not_values()
    {
        var a = new LedgerEvent("r", 0, "agent.spoke", "a", """{"x":[1,2],"y":"z"}""", id: "1", createdAt: DateTimeOffset.UnixEpoch);
        var b = new LedgerEvent("r", 0, "agent.spoke", "a", """{ "x": [1, 2], "y": "z" }""", id: "1");
        var c = new LedgerEvent("r", 0, "agent.spoke", "a", """{"x":[2,1],"y":"z"}""", id: "1");

        Assert.True(a.HasSameContentAs(b));
        Assert.False(a.HasSameContentAs(c));
    }
}
