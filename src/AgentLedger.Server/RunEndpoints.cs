using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace AgentLedger.Server;

/// <summary>Runs: the list (newest first, paged, with summaries) and one run's summary.</summary>
internal static class RunEndpoints
{
    public const int MaxPage = 500;

    // A request's work is bounded, whatever the filters and however many runs the ledger holds. An unfiltered
    // page folds (reads every event of) at most `limit` runs; but a filter that few runs match would otherwise
    // fold its way back through the whole ledger in one request (100,000 runs: all 10M events read and parsed,
    // a store connection held throughout), and any client of the API could ask for that again and again. So a
    // request folds at most MaxFolded runs (twice the largest page: an unfiltered page is never cut short) and
    // looks at at most MaxExamined index entries (the run-id search needs no fold, only the entry), then returns
    // the page so far, possibly short or empty, with next_before (next_after) at the last run it looked at; the
    // client asks again from there. A short page with a cursor means "looked this far, more may match further
    // back"; only a null cursor means the end.
    internal const int MaxFolded = 1_000;
    internal const int MaxExamined = 10_000;

    /// <summary>The largest run-index page one read asks for.</summary>
    internal const int MaxIndexPage = 1_000;

    public static void Map(RouteGroupBuilder api, ServedLedger served)
    {
        api.MapGet("/runs", (HttpContext http, int? limit, long? before, long? after, string? session, string? model, string? status, string? q, CancellationToken cancellationToken)
                => ListAsync(served.Reader(http), new RunFilter(session, model, status, q), limit ?? 50, before, after, cancellationToken))
            .WithName("ListRuns")
            .WithSummary("Runs, newest first (by their first event), each with its summary; page with before=next_before (or oldest first with after=, then after=next_after).")
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

    private static async Task<IResult> ListAsync(ILedgerReader reader, RunFilter filter, int limit, long? before, long? after, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > MaxPage)
        {
            return ApiProblems.Parameter("limit", $"must be 1 to {MaxPage}");
        }

        if (filter.Status is not (null or "running" or "finished"))
        {
            return ApiProblems.Parameter("status", "must be running or finished");
        }

        if (before is <= 0)
        {
            return ApiProblems.Parameter("before", "must be positive");
        }

        if (after is < 0)
        {
            return ApiProblems.Parameter("after", "must not be negative");
        }

        if (before is not null && after is not null)
        {
            return ApiProblems.Parameter("after", "give before (newest first) or after (oldest first), not both");
        }

        // The run index, a page at a time, from the cursor on; only the runs that fill the page are folded. The
        // loop stops only while holding an entry it will not use, so the cursor is null exactly when no run is
        // left. With filters, that run may not match: a filtered listing can end with an empty page.
        var newestFirst = after is null;
        var page = new List<RunSummary>(limit);
        var examined = 0;
        var folded = 0;
        long? last = null;
        var more = false;
        var first = newestFirst
            ? new RunListQuery { NewestFirst = true, Before = before, Limit = limit + 1 }
            : new RunListQuery { After = after ?? 0, Limit = limit + 1 };
        await foreach (var entry in reader.ListRunsFromAsync(first, MaxIndexPage, cancellationToken))
        {
            if (page.Count == limit || examined == MaxExamined || folded == MaxFolded)
            {
                more = true;
                break;
            }

            examined++;
            last = entry.FirstOffset;
            if (!filter.MatchesId(entry.RunId))
            {
                continue;
            }

            folded++;
            var summary = await RunSummary.SummarizeAsync(reader, entry.RunId, cancellationToken);
            if (summary.EventCount > 0 && filter.Matches(summary)) // no events: reset since the index was read
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
            ApiJson.NullableNumber(w, newestFirst ? "next_before" : "next_after", more ? last : null);
            w.WriteEndObject();
        });
    }

    private sealed record RunFilter(string? Session, string? Model, string? Status, string? Query)
    {
        /// <summary>The run-id search: decided from the index entry alone, before any fold.</summary>
        public bool MatchesId(string runId) => Query is not { Length: > 0 } query || runId.Contains(query, StringComparison.OrdinalIgnoreCase);

        public bool Matches(RunSummary s)
            => (Session is null || s.SessionId == Session)
            && (Status is null || s.Status == Status)
            && (Model is null || s.ModelsUsed.Contains(Model) || s.Cast.Values.Contains(Model) || s.WinningModel == Model);
    }
}
