using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AgentLedger;

/// <summary>
/// The ledger's own telemetry: an <see cref="ActivitySource"/> and a <see cref="System.Diagnostics.Metrics.Meter"/>
/// both named <c>AgentLedger</c>, so an OpenTelemetry setup sees appends, retries and followers
/// (<c>.AddSource("AgentLedger")</c>, <c>.AddMeter("AgentLedger")</c>). Costs nothing while nobody listens.
/// </summary>
/// <remarks>
/// Instruments: <c>agentledger.append.duration</c> (s), <c>agentledger.append.batch_size</c> (events per call),
/// <c>agentledger.events.appended</c>, <c>agentledger.events.duplicates</c>, <c>agentledger.events.conflicts</c>,
/// <c>agentledger.retries</c>, <c>agentledger.follow.lag</c> (events behind the latest offset when a follower wakes).
/// Every measurement carries <c>agentledger.backend</c>.
/// </remarks>
public static class LedgerTelemetry
{
    /// <summary>The name of the activity source and of the meter.</summary>
    public const string Name = "AgentLedger";

    internal static readonly ActivitySource Source = new(Name, typeof(LedgerTelemetry).Assembly.GetName().Version?.ToString());

    private static readonly Meter Meter = new(Name, typeof(LedgerTelemetry).Assembly.GetName().Version?.ToString());
    private static readonly Histogram<double> AppendDuration = Meter.CreateHistogram<double>("agentledger.append.duration", "s", "How long an append call took");
    private static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>("agentledger.append.batch_size", "{event}", "Events per append call");
    private static readonly Counter<long> Appended = Meter.CreateCounter<long>("agentledger.events.appended", "{event}", "Events stored by appends");
    private static readonly Counter<long> Duplicates = Meter.CreateCounter<long>("agentledger.events.duplicates", "{event}", "Appends of an id already stored with the same content");
    private static readonly Counter<long> Conflicts = Meter.CreateCounter<long>("agentledger.events.conflicts", "{event}", "Appends of an id already stored with other content");
    private static readonly Counter<long> Retries = Meter.CreateCounter<long>("agentledger.retries", "{retry}", "Operations retried after a transient failure");
    private static readonly Histogram<long> FollowLag = Meter.CreateHistogram<long>("agentledger.follow.lag", "{event}", "Events behind the latest offset when a follower looks");

    /// <summary>For backends: starts timing an append of <paramref name="events"/> events (an activity only when sampled).</summary>
    public static AppendMeasurement StartAppend(ILedgerInfo ledger, string operation, int events)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        var activity = Source.HasListeners() ? Source.StartActivity(operation, ActivityKind.Client) : null;
        activity?.SetTag("agentledger.backend", ledger.Description.Backend);
        activity?.SetTag("agentledger.batch_size", events);
        return new AppendMeasurement(ledger.Description.Backend, events, activity, Stopwatch.GetTimestamp());
    }

    /// <summary>For backends: one retry after a transient failure.</summary>
    public static void RecordRetry(ILedgerInfo ledger, string reason)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        if (Retries.Enabled)
        {
            Retries.Add(1, new KeyValuePair<string, object?>("agentledger.backend", ledger.Description.Backend), new KeyValuePair<string, object?>("agentledger.reason", reason));
        }

        Activity.Current?.AddEvent(new ActivityEvent("retry", tags: new ActivityTagsCollection { ["agentledger.reason"] = reason }));
    }

    internal static void RecordFollowLag(ILedgerInfo ledger, long behind)
    {
        if (FollowLag.Enabled)
        {
            FollowLag.Record(behind, new KeyValuePair<string, object?>("agentledger.backend", ledger.Description.Backend));
        }
    }

    /// <summary>An append being timed; call <see cref="Complete"/> or <see cref="Fail"/> once.</summary>
    public readonly struct AppendMeasurement
    {
        private readonly string _backend;
        private readonly int _events;
        private readonly Activity? _activity;
        private readonly long _started;

        internal AppendMeasurement(string backend, int events, Activity? activity, long started)
            => (_backend, _events, _activity, _started) = (backend, events, activity, started);

        /// <summary>Records the outcomes of a successful append.</summary>
        public void Complete(ReadOnlySpan<AppendResult> results)
        {
            AppendTally? tally = null;
            if (Appended.Enabled || Duplicates.Enabled || Conflicts.Enabled || _activity is not null)
            {
                tally = new AppendTally();
                tally.Add(results);
            }

            Record(tally);
            _activity?.SetTag("agentledger.appended", tally?.Appended);
            _activity?.Dispose();
        }

        /// <summary>Records a failed append.</summary>
        public void Fail(Exception exception)
        {
            _activity?.SetStatus(ActivityStatusCode.Error, exception?.GetType().Name);
            _activity?.Dispose();
        }

        private void Record(AppendTally? tally)
        {
            var backend = new KeyValuePair<string, object?>("agentledger.backend", _backend);
            if (AppendDuration.Enabled)
            {
                AppendDuration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, backend);
            }

            if (BatchSize.Enabled)
            {
                BatchSize.Record(_events, backend);
            }

            if (tally is null)
            {
                return;
            }

            if (tally.Appended > 0 && Appended.Enabled)
            {
                Appended.Add(tally.Appended, backend);
            }

            if (tally.Duplicates > 0 && Duplicates.Enabled)
            {
                Duplicates.Add(tally.Duplicates, backend);
            }

            if (tally.Conflicts > 0 && Conflicts.Enabled)
            {
                Conflicts.Add(tally.Conflicts, backend);
            }
        }
    }
}
