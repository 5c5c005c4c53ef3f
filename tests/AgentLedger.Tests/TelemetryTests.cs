using System.Diagnostics;
using System.Diagnostics.Metrics;
using Xunit;

namespace AgentLedger.Tests;

public sealed class TelemetryTests
{
    [Fact]
    public async Task Appends_are_seen_by_a_listener_of_the_AgentLedger_meter_and_activity_source()
    {
        var appended = 0L;
        var duplicates = 0L;
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == LedgerTelemetry.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meters.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "agentledger.events.appended")
            {
                Interlocked.Add(ref appended, value);
            }
            else if (instrument.Name == "agentledger.events.duplicates")
            {
                Interlocked.Add(ref duplicates, value);
            }
        });
        meters.Start();
        var activities = new List<string>();
        using var tracing = new ActivityListener
        {
            ShouldListenTo = source => source.Name == LedgerTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity => { lock (activities) { activities.Add(activity.OperationName); } },
        };
        ActivitySource.AddActivityListener(tracing);

        await using var ledger = new InMemoryLedger();
        var e = new LedgerEvent("r", 0, "agent.spoke", "fox", "{}", id: "t1");
        await ledger.AppendAsync(e, TestContext.Current.CancellationToken);
        await ledger.AppendBatchAsync([e, new LedgerEvent("r", 1, "agent.spoke", "fox", "{}", id: "t2")], TestContext.Current.CancellationToken);

        // The listener is process-wide and other tests append in parallel: at least ours must be counted.
        Assert.True(Interlocked.Read(ref appended) >= 2, $"appended {appended}");
        Assert.True(Interlocked.Read(ref duplicates) >= 1, $"duplicates {duplicates}");
        lock (activities)
        {
            Assert.Contains("append", activities);
            Assert.Contains("append_batch", activities);
        }
    }
}
