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

    /// <summary>
    /// Untrusted text (model output, ids, names) as it may reach a terminal: control characters and bidi
    /// overrides shown as <c>\u001b</c> instead of acting on the terminal. JSON output stays exact.
    /// </summary>
    public static string Visible(string? text)
    {
        if (string.IsNullOrEmpty(text) || !text.AsSpan().ContainsAny(Unsafe))
        {
            return text ?? "";
        }

        var visible = new System.Text.StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (Unsafe.Contains(c))
            {
                visible.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                visible.Append(c);
            }
        }

        return visible.ToString();
    }

    /// <summary>A table cell of untrusted text: visible (see <see cref="Visible"/>) and with Spectre markup escaped.</summary>
    public static string Cell(string? text) => Markup.Escape(Visible(text));

    private static readonly System.Buffers.SearchValues<char> Unsafe = System.Buffers.SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Select(i => (char)i), .. Enumerable.Range(0x7F, 0x21).Select(i => (char)i),
         '\u061C', '\u200E', '\u200F', .. Enumerable.Range(0x202A, 5).Select(i => (char)i), .. Enumerable.Range(0x2066, 4).Select(i => (char)i)]);

    public static void WriteJson<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    public static string Time(DateTimeOffset? time) => time?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "";

    /// <summary>The payload's <c>text</c>, else a short form of the payload.</summary>
    public static string Gist(LedgerEvent e, int width = 100)
    {
        string text;
        try
        {
            var p = e.PayloadElement;
            text = p.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : e.Payload;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            text = e.Payload; // a foreign row whose payload is not JSON (or holds a lone surrogate): show it as it is
        }

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
                Render.Cell(e.Event.Kind), Render.Cell(e.Event.Actor), Render.Cell(e.Event.ModelId ?? ""), Render.Cell(Gist(e.Event)));
        }

        return table;
    }

    /// <summary>One plain line per event, for tail: stable to read by eye and by grep.</summary>
    public static string Line(StoredEvent e)
        => string.Create(CultureInfo.InvariantCulture,
            $"{e.Offset,8}  {Visible(e.Event.RunId)}  t{e.Event.Turn,-3} {e.Event.Kind,-16} {Visible(e.Event.Actor),-10} {Visible(e.Event.ModelId ?? "-"),-24} {Visible(Gist(e.Event))}");

    public static Table Summary(RunSummary s)
    {
        var table = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumn("field").AddColumn("value");
        void Row(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                table.AddRow(new Text(name), new Text(Visible(value)));
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
