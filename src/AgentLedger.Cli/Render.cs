using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Spectre.Console;

namespace AgentLedger.Cli;

/// <summary>How runs and events look on the console, and as JSON.</summary>
internal static class Render
{
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void WriteJson<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    public static string Time(DateTimeOffset? time) => time?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "";

    /// <summary>The payload's <c>text</c>, else a short form of the payload.</summary>
    public static string Gist(LedgerEvent e, int width = 100)
    {
        var p = e.PayloadElement;
        var text = p.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : e.Payload;
        text = text.ReplaceLineEndings(" ");
        return text.Length <= width ? text : string.Concat(text.AsSpan(0, width - 1), "…");
    }

    public static Table Timeline(IEnumerable<StoredEvent> events)
    {
        var table = new Table().Border(TableBorder.Simple)
            .AddColumn(new TableColumn("offset").RightAligned()).AddColumn(new TableColumn("turn").RightAligned())
            .AddColumn("kind").AddColumn("actor").AddColumn("model").AddColumn("text");
        foreach (var e in events)
        {
            table.AddRow(
                e.Offset.ToString(CultureInfo.InvariantCulture), e.Event.Turn.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(e.Event.Kind), Markup.Escape(e.Event.Actor), Markup.Escape(e.Event.ModelId ?? ""), Markup.Escape(Gist(e.Event)));
        }

        return table;
    }

    /// <summary>One plain line per event, for tail: stable to read by eye and by grep.</summary>
    public static string Line(StoredEvent e)
        => string.Create(CultureInfo.InvariantCulture,
            $"{e.Offset,8}  {e.Event.RunId}  t{e.Event.Turn,-3} {e.Event.Kind,-16} {e.Event.Actor,-10} {e.Event.ModelId ?? "-",-24} {Gist(e.Event)}");

    public static Table Summary(RunSummary s)
    {
        var table = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumn("field").AddColumn("value");
        void Row(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                table.AddRow(new Text(name), new Text(value));
            }
        }

        Row("run", s.RunId);
        Row("status", s.Status);
        Row("scenario", s.Scenario);
        Row("seed", s.Seed);
        Row("goal", s.Goal);
        Row("session", s.SessionId);
        Row("cast", string.Join(", ", s.Cast.Select(c => $"{c.Key} → {c.Value ?? "?"}")));
        Row("started", Time(s.StartedAt));
        Row("finished", Time(s.FinishedAt));
        Row("reason", s.Reason);
        Row("winner", s.Winner is null ? null : $"{s.Winner}{(s.WinnerKind is null ? "" : $" ({s.WinnerKind})")}");
        Row("winning model", s.WinningModel);
        Row("turns", s.Turns.ToString(CultureInfo.InvariantCulture));
        Row("tokens", s.Tokens.ToString("N0", CultureInfo.InvariantCulture));
        Row("events", $"{s.EventCount} (offsets {s.FirstOffset}–{s.LastOffset})");
        return table;
    }

    /// <summary>A run summary as JSON (snake_case).</summary>
    public static object SummaryJson(RunSummary s) => new
    {
        run_id = s.RunId,
        status = s.Status,
        scenario = s.Scenario,
        seed = s.Seed,
        goal = s.Goal,
        session_id = s.SessionId,
        cast = s.Cast,
        started_at = s.StartedAt,
        finished_at = s.FinishedAt,
        reason = s.Reason,
        winner = s.Winner,
        winner_kind = s.WinnerKind,
        winning_model = s.WinningModel,
        winning_models = s.WinningModels,
        turns = s.Turns,
        tokens = s.Tokens,
        events = s.EventCount,
        first_offset = s.FirstOffset,
        last_offset = s.LastOffset,
    };

    public static string Bytes(long? bytes) => bytes switch
    {
        null => "unknown",
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0 / 1024:0.0} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0 / 1024 / 1024:0.00} GiB"),
    };
}
