using System.Text;
using AgentLedger.Conformance;
using CsCheck;
using Xunit;

namespace AgentLedger.Tests;

/// <summary>Properties of JSON lines traces, over thousands of generated lines (hostile ones among them).</summary>
public sealed class TracePropertyTests
{
    private const long LineNumber = 7;

    /// <summary>Lines: well-formed events, the same with one character changed, removed or added, and plain noise.</summary>
    private static readonly Gen<string> Lines = Gen.Frequency(
        (3, Generators.Event.Select(e => JsonlTrace.Write(new StoredEvent(1, e)))),
        (4, Gen.Select(Generators.Event, Gen.Int[0, 10_000], Generators.AnyChar, Gen.Int[0, 2], Mutate)),
        (1, Generators.AnyText));

    [Fact]
    public void Any_json_line_either_exports_back_to_an_equal_event_or_is_refused_with_its_line_number()
        => Lines.Sample(line =>
        {
            LedgerEvent parsed;
            try
            {
                (parsed, _) = JsonlTrace.ParseLine(line, LineNumber);
            }
            catch (JsonlFormatException ex)
            {
                Assert.Equal(LineNumber, ex.LineNumber);
                return;
            }

            var (again, offset) = JsonlTrace.ParseLine(JsonlTrace.Write(new StoredEvent(3, parsed)), LineNumber);
            Assert.Equal(3, offset);
            Assert.True(parsed.HasSameContentAs(again), line);
            Assert.Equal(parsed.CreatedAt, again.CreatedAt);
        }, iter: Generators.Iterations(3000), threads: 1);

    [Fact]
    public void Any_line_that_is_refused_leaves_the_whole_import_unwritten()
        => Lines.SampleAsync(async line =>
        {
            await using var ledger = new InMemoryLedger();
            var good = JsonlTrace.Write(new StoredEvent(1, new LedgerEvent("r", 0, "agent.spoke", "fox", "{}", id: "good")));
            using var input = new MemoryStream(Encoding.UTF8.GetBytes(good + "\n" + line.Replace('\n', ' ').Replace('\r', ' ') + "\n"));
            try
            {
                await ledger.ImportAsync(Events(input), cancellationToken: TestContext.Current.CancellationToken);
            }
            catch (JsonlFormatException ex)
            {
                Assert.Equal(2, ex.LineNumber);
                Assert.Equal(0, await ledger.CountAsync(TestContext.Current.CancellationToken));
            }
        }, iter: Generators.Iterations(1000), threads: 1);

    private static async IAsyncEnumerable<LedgerEvent> Events(Stream input)
    {
        await foreach (var (e, _, _) in JsonlTrace.ReadAsync(input, TestContext.Current.CancellationToken))
        {
            yield return e;
        }
    }

    private static string Mutate(LedgerEvent e, int at, char c, int how)
    {
        var line = JsonlTrace.Write(new StoredEvent(1, e));
        var i = at % line.Length;
        return how switch
        {
            0 => string.Concat(line.AsSpan(0, i), c.ToString(), line.AsSpan(i + 1)),
            1 => line.Remove(i, 1),
            _ => line.Insert(i, c.ToString()),
        };
    }
}
