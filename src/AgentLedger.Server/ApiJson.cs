using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace AgentLedger.Server;

/// <summary>
/// The API's JSON: events are written by <see cref="JsonlTrace"/> (so a response and an exported trace
/// agree byte for byte, payload untouched), summaries and stats in the same snake_case.
/// </summary>
internal static class ApiJson
{
    public const string ContentType = "application/json; charset=utf-8";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IResult Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            body(writer);
        }

        return TypedResults.Bytes(buffer.WrittenMemory.ToArray(), ContentType);
    }

    public static void Event(Utf8JsonWriter writer, StoredEvent stored)
        => writer.WriteRawValue(JsonlTrace.Write(stored), skipInputValidation: true);

    public static void Events(Utf8JsonWriter writer, string name, IEnumerable<StoredEvent> events)
    {
        writer.WriteStartArray(name);
        foreach (var e in events)
        {
            Event(writer, e);
        }

        writer.WriteEndArray();
    }

    public static void Summary(Utf8JsonWriter w, RunSummary s)
    {
        w.WriteStartObject();
        w.WriteString("run_id", s.RunId);
        w.WriteString("status", s.Status);
        w.WriteString("scenario", s.Scenario);
        w.WriteString("seed", s.Seed);
        w.WriteString("goal", s.Goal);
        w.WriteString("session_id", s.SessionId);
        w.WriteStartObject("cast");
        foreach (var (agent, model) in s.Cast)
        {
            w.WriteString(agent, model);
        }

        w.WriteEndObject();
        Time(w, "started_at", s.StartedAt);
        Time(w, "finished_at", s.FinishedAt);
        w.WriteString("reason", s.Reason);
        w.WriteString("winner", s.Winner);
        w.WriteString("winner_kind", s.WinnerKind);
        w.WriteString("winning_model", s.WinningModel);
        Strings(w, "winning_models", s.WinningModels);
        Strings(w, "models", s.ModelsUsed);
        Strings(w, "actors", s.Cast.Keys);
        w.WriteNumber("turns", s.Turns);
        w.WriteNumber("tokens", s.Tokens);
        w.WriteNumber("events", s.EventCount);
        w.WriteNumber("first_offset", s.FirstOffset);
        w.WriteNumber("last_offset", s.LastOffset);
        w.WriteEndObject();
    }

    public static void NullableNumber(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void Time(Utf8JsonWriter w, string name, DateTimeOffset? value)
    {
        if (value is { } t)
        {
            w.WriteString(name, Storage.Timestamps.Format(t));
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
    }
}
