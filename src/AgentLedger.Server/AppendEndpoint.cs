using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace AgentLedger.Server;

/// <summary>
/// POST events: one JSON object, a JSON array of them, or JSON lines, in the trace format. The whole body
/// is checked before anything is written and appended as one atomic batch; each event's outcome comes back.
/// </summary>
internal static partial class AppendEndpoint
{
    public static void Map(RouteGroupBuilder api, ServedLedger served)
    {
        api.MapPost("/events", async (HttpContext http, CancellationToken cancellationToken) =>
            {
                if (served.Options.ReadOnly)
                {
                    http.Response.Headers.Allow = "GET";
                    return TypedResults.Problem("this server is read-only: appends are switched off", statusCode: StatusCodes.Status405MethodNotAllowed, title: "read-only");
                }

                var body = await ReadBodyAsync(http.Request, served.Options.MaxBodyBytes, cancellationToken);
                if (body is null)
                {
                    return TypedResults.Problem($"the body is larger than {served.Options.MaxBodyBytes} bytes; send smaller batches",
                        statusCode: StatusCodes.Status413PayloadTooLarge, title: "body too large");
                }

                List<LedgerEvent> events;
                try
                {
                    events = await ParseAsync(body, http.Request.ContentType, cancellationToken);
                }
                catch (BodyException ex)
                {
                    return ApiProblems.BadRequest(ex.Message, ex.Extensions);
                }

                if (events.Count == 0)
                {
                    return ApiProblems.BadRequest("the body holds no event");
                }

                var results = await served.Writer(http).AppendBatchAsync(events, cancellationToken);
                var tally = new AppendTally();
                tally.Add(results);
                return ApiJson.Write(w =>
                {
                    w.WriteStartObject();
                    w.WriteStartArray("results");
                    foreach (var r in results)
                    {
                        w.WriteStartObject();
                        w.WriteString("id", r.Id);
                        w.WriteString("outcome", r.Outcome.ToString().ToLowerInvariant());
                        w.WriteNumber("offset", r.Offset);
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                    w.WriteNumber("appended", tally.Appended);
                    w.WriteNumber("duplicates", tally.Duplicates);
                    w.WriteNumber("conflicts", tally.Conflicts);
                    w.WriteEndObject();
                });
            })
            .WithName("AppendEvents")
            .WithSummary("Appends one event, a JSON array or JSON lines atomically; per event: appended (with offset), duplicate or conflict.")
            .Accepts<object>("application/json", "application/x-ndjson", "application/jsonl")
            .Produces(200, contentType: ApiJson.ContentType);
    }

    /// <summary>The body, or null when it is over the limit (counted as it arrives, whatever Content-Length claims).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, long max, CancellationToken cancellationToken)
    {
        if (request.ContentLength > max)
        {
            return null;
        }

        // The server's own limit (Kestrel: 30 MB) would otherwise cut a larger configured one short with a 500.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } serverLimit)
        {
            serverLimit.MaxRequestBodySize = max + 1;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        try
        {
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > max)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null; // a host that set a lower server limit
        }

        return buffer.ToArray();
    }

    private static async Task<List<LedgerEvent>> ParseAsync(byte[] body, string? contentType, CancellationToken cancellationToken)
    {
        var lines = contentType is { } ct && (ct.Contains("ndjson", StringComparison.OrdinalIgnoreCase) || ct.Contains("jsonl", StringComparison.OrdinalIgnoreCase));
        if (!lines)
        {
            JsonDocument? document = null;
            try
            {
                // 66: an array, an event object, then a payload of up to 64 levels (the envelope checks that rule).
                document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 66 });
            }
            catch (JsonException)
            {
                // Not one JSON value: read it as JSON lines, which names the line that is wrong.
            }

            if (document is not null)
            {
                using (document)
                {
                    return document.RootElement.ValueKind switch
                    {
                        JsonValueKind.Object => [Parse(document.RootElement.GetRawText(), 1, index: null)],
                        JsonValueKind.Array => [.. document.RootElement.EnumerateArray().Select((e, i) => Parse(e.GetRawText(), i + 1, index: i))],
                        _ => throw new BodyException("the body must be a JSON object, a JSON array of objects, or JSON lines", null),
                    };
                }
            }
        }

        var events = new List<LedgerEvent>();
        try
        {
            await foreach (var (e, _, _) in JsonlTrace.ReadAsync(new MemoryStream(body, writable: false), cancellationToken))
            {
                events.Add(e);
            }
        }
        catch (JsonlFormatException ex)
        {
            throw new BodyException($"line {ex.LineNumber}: {ex.Reason}", Describe(ex, ex.LineNumber, index: null));
        }

        return events;
    }

    private static LedgerEvent Parse(string json, long number, int? index)
    {
        try
        {
            return JsonlTrace.ParseLine(json, number).Event;
        }
        catch (JsonlFormatException ex)
        {
            var where = index is null ? "the event" : $"event [{index}]";
            throw new BodyException($"{where}: {ex.Reason}", Describe(ex, line: null, index));
        }
    }

    private static Dictionary<string, object?> Describe(JsonlFormatException ex, long? line, int? index)
    {
        var extensions = new Dictionary<string, object?>();
        if (line is not null)
        {
            extensions["line"] = line;
        }

        if (index is not null)
        {
            extensions["index"] = index;
        }

        // The field: the envelope's own rule names it; the trace reader's messages quote it.
        var field = ex.InnerException is InvalidEventException invalid ? invalid.Field
            : QuotedField().Match(ex.Reason) is { Success: true } m ? m.Groups[1].Value
            : ex.Reason.StartsWith("payload", StringComparison.Ordinal) ? "payload"
            : ex.Reason.StartsWith("offset", StringComparison.Ordinal) ? "offset"
            : null;
        if (field is not null)
        {
            extensions["field"] = field;
        }

        return extensions;
    }

    [GeneratedRegex("field '([a-z_]+)'")]
    private static partial Regex QuotedField();

    private sealed class BodyException(string message, Dictionary<string, object?>? extensions) : Exception(message)
    {
        public Dictionary<string, object?>? Extensions { get; } = extensions;
    }
}
