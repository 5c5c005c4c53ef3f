using System.Collections.Concurrent;

namespace AgentLedger.Extensions.AI;

/// <summary>
/// Numbers the calls of one (run, turn, actor): the n-th call is call n in every process that replays the
/// run. A call handed exactly the same request objects as the one before it, when that one failed (what a
/// resilience handler's retry does), keeps that call's number, so its success is recorded once. After a
/// success the same objects make a new call (an agent may well ask the same thing twice on purpose).
/// </summary>
internal sealed class CallSequencer
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ILedgerWriter, CallSequencer> s_unscoped = [];

    private readonly ConcurrentDictionary<(string Run, int Turn, string Actor, string Stream), Slot> _slots = new();

    /// <summary>
    /// The numbering of calls made outside any run, one per ledger writer: two clients (or agents) recording
    /// under the same run id and actor then never hand out the same number in one process.
    /// </summary>
    public static CallSequencer Unscoped(ILedgerWriter writer) => s_unscoped.GetValue(writer, static _ => new CallSequencer());

    /// <summary>The call number and attempt of a model call.</summary>
    public (int Sequence, int Attempt) NextCall(string run, int turn, string actor, object messages, int count, object? options)
    {
        var slot = _slots.GetOrAdd((run, turn, actor, "model"), static _ => new Slot());
        lock (slot)
        {
            if (slot.Sequence >= 0 && !slot.Succeeded && ReferenceEquals(slot.Messages, messages) && slot.Count == count && ReferenceEquals(slot.Options, options))
            {
                return (slot.Sequence, ++slot.Attempt);
            }

            slot.Sequence++;
            slot.Attempt = 1;
            slot.Succeeded = false;
            slot.Messages = messages;
            slot.Count = count;
            slot.Options = options;
            return (slot.Sequence, 1);
        }
    }

    /// <summary>Marks call <paramref name="sequence"/> as answered: the same request objects again are a new call.</summary>
    public void Succeeded(string run, int turn, string actor, int sequence)
    {
        if (_slots.TryGetValue((run, turn, actor, "model"), out var slot))
        {
            lock (slot)
            {
                if (slot.Sequence == sequence)
                {
                    slot.Succeeded = true;
                }
            }
        }
    }

    /// <summary>The next number in a named stream of one (run, turn, actor), e.g. the events of one kind.</summary>
    public int Next(string run, int turn, string actor, string stream)
    {
        var slot = _slots.GetOrAdd((run, turn, actor, stream), static _ => new Slot());
        lock (slot)
        {
            return ++slot.Sequence;
        }
    }

    private sealed class Slot
    {
        public int Sequence = -1;
        public int Attempt;
        public object? Messages;
        public int Count;
        public object? Options;
        public bool Succeeded;
    }
}
