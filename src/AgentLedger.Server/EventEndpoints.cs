using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace AgentLedger.Server;

/// <summary>Reads: one run's events (forwards or backwards), the log after an offset with filters, the last N, stats.</summary>
internal static class EventEndpoints
{
    public const int MaxPage = 5000;

    public static void Map(RouteGroupBuilder api, ServedLedger served)
    {
        api.MapGet("/runs/{runId}/events", (HttpContext http, string runId, long? after, long? before, int? limit, CancellationToken cancellationToken) =>
                before is not null
                    ? BackwardAsync(served.Reader(http), new EventQuery { RunId = RunIdRoute.Decode(http, runId) }, before, limit ?? 1000, cancellationToken)
                    : ForwardAsync(served.Reader(http), new EventQuery { RunId = RunIdRoute.Decode(http, runId) }, after ?? 0, limit ?? 1000, cancellationToken))
            .WithName("GetRunEvents")
            .WithSummary("One run's events: oldest first after=OFFSET (page on with after=next), or newest first before=OFFSET (page on with before=next).")
            .Produces(200, contentType: ApiJson.ContentType);

        api.MapGet("/events", (HttpContext http, long? after, int? limit, string? run, string? kind, string? actor, string? session, string? model, string? profile, CancellationToken cancellationToken) =>
                ForwardAsync(served.Reader(http), Filters(run, kind, actor, session, model, profile), after ?? 0, limit ?? 1000, cancellationToken))
            .WithName("GetEvents")
            .WithSummary("The log after an offset, oldest first, filtered by run, kind, actor, session, model (model_id) and profile (model_profile).")
            .Produces(200, contentType: ApiJson.ContentType);

        api.MapGet("/events/last", async (HttpContext http, int? n, string? run, string? kind, string? actor, string? session, string? model, string? profile, CancellationToken cancellationToken) =>
            {
                var count = n ?? 50;
                if (count is < 0 or > MaxPage)
                {
                    return ApiProblems.Parameter("n", $"must be 0 to {MaxPage}");
                }

                var reader = served.Reader(http);
                var latest = await reader.LatestOffsetAsync(cancellationToken);
                var last = new List<StoredEvent>(count);
                await foreach (var e in reader.ReadBackwardAsync(Filters(run, kind, actor, session, model, profile) with { UpTo = latest, Limit = count }, cancellationToken))
                {
                    last.Add(e);
                }

                last.Reverse();
                return ApiJson.Write(w =>
                {
                    w.WriteStartObject();
                    ApiJson.Events(w, "events", last);
                    w.WriteNumber("latest_offset", latest);
                    w.WriteEndObject();
                });
            })
            .WithName("GetLastEvents")
            .WithSummary("The last n matching events, in log order; latest_offset is where a stream should start (after=latest_offset).")
            .Produces(200, contentType: ApiJson.ContentType);

        api.MapGet("/stats", async (HttpContext http, string? by, string? run, CancellationToken cancellationToken) =>
            {
                StatsGrouping? grouping = (by ?? "model") switch
                {
                    "model" => StatsGrouping.Model,
                    "actor" => StatsGrouping.Actor,
                    "kind" => StatsGrouping.Kind,
                    "session" => StatsGrouping.Session,
                    _ => null,
                };
                if (grouping is null)
                {
                    return ApiProblems.Parameter("by", "must be model, actor, kind or session");
                }

                var rows = await LedgerStats.ComputeAsync(served.Reader(http), grouping.Value, new EventQuery { RunId = run }, cancellationToken);
                return ApiJson.Write(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("by", by ?? "model");
                    w.WriteString("run_id", run);
                    w.WriteStartArray("rows");
                    foreach (var r in rows)
                    {
                        w.WriteStartObject();
                        w.WriteString("key", r.Key);
                        w.WriteNumber("events", r.Events);
                        w.WriteNumber("tokens", r.Tokens);
                        w.WriteNumber("event_share", r.EventShare);
                        w.WriteNumber("token_share", r.TokenShare);
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                });
            })
            .WithName("GetStats")
            .WithSummary("Events and tokens per model, actor, kind or session, for the whole log or one run (run=RUN).")
            .Produces(200, contentType: ApiJson.ContentType);

        api.MapGet("/info", async (HttpContext http, CancellationToken cancellationToken) =>
            {
                var reader = served.Reader(http);
                var latest = await reader.LatestOffsetAsync(cancellationToken);
                var count = await reader.CountAsync(cancellationToken);
                return ApiJson.Write(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("backend", reader.Description.Backend);
                    w.WriteNumber("latest_offset", latest);
                    w.WriteNumber("events", count);
                    w.WriteBoolean("read_only", served.Options.ReadOnly);
                    w.WriteEndObject();
                });
            })
            .WithName("GetInfo")
            .WithSummary("The backend's name (never its location), the latest offset, the event count, whether appends are off.")
            .Produces(200, contentType: ApiJson.ContentType);
    }

    public static EventQuery Filters(string? run, string? kind, string? actor, string? session, string? model, string? profile)
        => new() { RunId = run, Kind = kind, Actor = actor, SessionId = session, ModelId = model, ModelProfile = profile };

    private static async Task<IResult> ForwardAsync(ILedgerReader reader, EventQuery query, long after, int limit, CancellationToken cancellationToken)
    {
        if (after < 0)
        {
            return ApiProblems.Parameter("after", "must be 0 or more");
        }

        if (limit is < 1 or > MaxPage)
        {
            return ApiProblems.Parameter("limit", $"must be 1 to {MaxPage}");
        }

        var events = new List<StoredEvent>(Math.Min(limit, 1024));
        await foreach (var e in reader.ReadAsync(query with { After = after, Limit = limit }, cancellationToken))
        {
            events.Add(e);
        }

        return Page(events, events.Count == limit ? events[^1].Offset : null);
    }

    private static async Task<IResult> BackwardAsync(ILedgerReader reader, EventQuery query, long? before, int limit, CancellationToken cancellationToken)
    {
        if (before < 1)
        {
            return ApiProblems.Parameter("before", "must be 1 or more");
        }

        if (limit is < 1 or > MaxPage)
        {
            return ApiProblems.Parameter("limit", $"must be 1 to {MaxPage}");
        }

        var events = new List<StoredEvent>(Math.Min(limit, 1024));
        await foreach (var e in reader.ReadBackwardAsync(query with { UpTo = before - 1, Limit = limit }, cancellationToken))
        {
            events.Add(e);
        }

        return Page(events, events.Count == limit ? events[^1].Offset : null);
    }

    private static IResult Page(List<StoredEvent> events, long? next) => ApiJson.Write(w =>
    {
        w.WriteStartObject();
        ApiJson.Events(w, "events", events);
        ApiJson.NullableNumber(w, "next", next);
        w.WriteEndObject();
    });
}
