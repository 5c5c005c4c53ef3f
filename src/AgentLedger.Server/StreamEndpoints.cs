using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentLedger.Server;

/// <summary>
/// Server-Sent Events: each event's SSE id is its offset, so a client that reconnects with
/// <c>Last-Event-ID</c> resumes exactly after the last one it got. Every stream is fed by one
/// <see cref="StreamHub"/> (one follower of the ledger): an idle stream costs a parked task and a timer.
/// </summary>
internal static class StreamEndpoints
{
    private static readonly byte[] Heartbeat = ": heartbeat\n\n"u8.ToArray();

    public static void Map(RouteGroupBuilder api, ServedLedger served)
    {
        api.MapGet("/stream", (HttpContext http, long? after, string? run, string? kind, string? actor, string? session, string? model, string? profile) =>
                StreamAsync(http, served, EventEndpoints.Filters(run, kind, actor, session, model, profile), after))
            .WithName("StreamEvents")
            .WithSummary("Server-Sent Events: every event after after=OFFSET (or Last-Event-ID), then each new one; id = offset; filters as for /events.")
            .Produces(200, contentType: "text/event-stream");

        api.MapGet("/runs/{runId}/stream", (HttpContext http, string runId, long? after) =>
                StreamAsync(http, served, new EventQuery { RunId = RunIdRoute.Decode(http, runId) }, after))
            .WithName("StreamRun")
            .WithSummary("Server-Sent Events of one run: its events after after=OFFSET (or Last-Event-ID), then each new one.")
            .Produces(200, contentType: "text/event-stream");
    }

    private static async Task<IResult> StreamAsync(HttpContext http, ServedLedger served, EventQuery query, long? after)
    {
        // A reconnecting EventSource repeats the first URL: its Last-Event-ID is the newer truth.
        var resume = http.Request.Headers["Last-Event-ID"].ToString();
        if (resume.Length > 0)
        {
            if (!long.TryParse(resume, NumberStyles.None, CultureInfo.InvariantCulture, out var lastId))
            {
                return ApiProblems.Parameter("Last-Event-ID", "must be an offset (a whole number, 0 or more)");
            }

            after = lastId;
        }

        if (after < 0)
        {
            return ApiProblems.Parameter("after", "must be 0 or more");
        }

        var stopping = http.RequestServices.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping);
        var token = cts.Token;

        var response = http.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var body = response.BodyWriter;
        body.Write("retry: 1000\n\n"u8);
        await body.FlushAsync(token);

        var events = served.Hub(http).SubscribeAsync(query with { After = after ?? 0 }, token).GetAsyncEnumerator(token);
        Task<bool>? next = null;
        try
        {
            var heartbeat = Task.Delay(served.Options.HeartbeatInterval, token);
            while (!token.IsCancellationRequested)
            {
                next ??= events.MoveNextAsync().AsTask();
                if (!next.IsCompleted)
                {
                    // Nothing more at hand: send what was written, then wait for an event or the heartbeat.
                    await body.FlushAsync(token);
                    if (await Task.WhenAny(next, heartbeat) == heartbeat)
                    {
                        if (token.IsCancellationRequested)
                        {
                            break;
                        }

                        body.Write(Heartbeat);
                        heartbeat = Task.Delay(served.Options.HeartbeatInterval, token);
                        continue;
                    }
                }

                var has = await next;
                next = null;
                if (!has)
                {
                    break;
                }

                var stored = events.Current;
                body.Write(Encoding.UTF8.GetBytes($"id: {stored.Offset.ToString(CultureInfo.InvariantCulture)}\ndata: {JsonlTrace.Write(stored)}\n\n"));
            }

            await body.FlushAsync(CancellationToken.None);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The client left or the server is stopping: the stream simply ends.
        }
        finally
        {
            cts.Cancel();
            if (next is not null)
            {
                // An iterator cannot be disposed while a MoveNextAsync is running: let it end first.
                await next.ContinueWith(static _ => { }, TaskScheduler.Default);
            }

            await events.DisposeAsync();
        }

        return Results.Empty;
    }
}
