using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace AgentLedger.Server;

/// <summary>Runs: the list (newest first, paged, with summaries) and one run's summary.</summary>
internal static class RunEndpoints
{
    public const int MaxPage = 500;

    public static void Map(RouteGroupBuilder api, ServedLedger served)
    {
        api.MapGet("/runs", (HttpContext http, int? limit, long? before, string? session, string? model, string? status, string? q, CancellationToken cancellationToken)
                => ListAsync(served.Reader(http), new RunFilter(session, model, status, q), limit ?? 50, before, cancellationToken))
            .WithName("ListRuns")
            .WithSummary("Runs, newest first (by their first event), each with its summary; page with before=next_before.")
            .Produces(200, contentType: ApiJson.ContentType);

        api.MapGet("/runs/{runId}", async (HttpContext http, string runId, CancellationToken cancellationToken) =>
            {
                runId = RunIdRoute.Decode(http, runId);
                var summary = await RunSummary.SummarizeAsync(served.Reader(http), runId, cancellationToken);
                return summary.EventCount == 0
                    ? ApiProblems.NotFound($"no run '{runId}'")
                    : ApiJson.Write(w => ApiJson.Summary(w, summary));
            })
            .WithName("GetRun")
            .WithSummary("One run's summary: status, times, turns, actors, models, tokens, events.")
            .Produces(200, contentType: ApiJson.ContentType);
    }

    private static async Task<IResult> ListAsync(ILedgerReader reader, RunFilter filter, int limit, long? before, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > MaxPage)
        {
            return ApiProblems.Parameter("limit", $"must be 1 to {MaxPage}");
        }

        if (filter.Status is not (null or "running" or "finished"))
        {
            return ApiProblems.Parameter("status", "must be running or finished");
        }

        var runIds = new List<string>();
        await foreach (var run in reader.ListRunsAsync(cancellationToken))
        {
            runIds.Add(run);
        }

        // Newest first by first event; a page ends at the run before which the next page starts. Runs of
        // earlier pages are skipped by their first offset (one indexed row each), not by folding them again;
        // only the runs of this page are folded. next_before is null when no run is left (a next page may
        // still come back empty when the filters match none of the rest).
        var page = new List<RunSummary>(Math.Min(limit, runIds.Count));
        var more = false;
        for (var i = runIds.Count - 1; i >= 0; i--)
        {
            if (filter.Query is { Length: > 0 } query && !runIds[i].Contains(query, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (before is { } b && await FirstOffsetAsync(reader, runIds[i], cancellationToken) >= b)
            {
                continue;
            }

            if (page.Count == limit)
            {
                more = true;
                break;
            }

            var summary = await RunSummary.SummarizeAsync(reader, runIds[i], cancellationToken);
            if (filter.Matches(summary))
            {
                page.Add(summary);
            }
        }

        return ApiJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("runs");
            foreach (var s in page)
            {
                ApiJson.Summary(w, s);
            }

            w.WriteEndArray();
            ApiJson.NullableNumber(w, "next_before", more ? page[^1].FirstOffset : null);
            w.WriteEndObject();
        });
    }

    private static async Task<long> FirstOffsetAsync(ILedgerReader reader, string runId, CancellationToken cancellationToken)
    {
        await foreach (var first in reader.ReadAsync(new EventQuery { RunId = runId, Limit = 1 }, cancellationToken))
        {
            return first.Offset;
        }

        return long.MaxValue; // reset meanwhile: nothing to list
    }

    private sealed record RunFilter(string? Session, string? Model, string? Status, string? Query)
    {
        public bool Matches(RunSummary s)
            => (Session is null || s.SessionId == Session)
            && (Status is null || s.Status == Status)
            && (Model is null || s.ModelsUsed.Contains(Model) || s.Cast.Values.Contains(Model) || s.WinningModel == Model);
    }
}
