namespace AgentLedger.Extensions.AI;

/// <summary>
/// Who is acting now, in which turn of which run: flows through <see cref="AsyncLocal{T}"/> into every
/// <see cref="LedgerChatClient"/> call made inside it, across awaits and into tasks started inside it.
/// Made by <see cref="LedgerRun.Turn"/>; disposing it restores the enclosing scope.
/// </summary>
public sealed class LedgerScope : IDisposable
{
    private static readonly AsyncLocal<LedgerScope?> s_current = new();
    private readonly LedgerScope? _previous;
    private bool _disposed;

    internal LedgerScope(LedgerRun run, int turn, string actor, string? modelProfile, LedgerScope? previous)
    {
        Run = run;
        Turn = turn;
        Actor = actor;
        ModelProfile = modelProfile;
        _previous = previous;
    }

    /// <summary>The scope of the current async flow, or null outside any run.</summary>
    public static LedgerScope? Current => s_current.Value;

    public LedgerRun Run { get; }

    public int Turn { get; }

    public string Actor { get; }

    /// <summary>The route key the actor asks for (e.g. <c>fast</c>); recorded as <c>model_profile</c>.</summary>
    public string? ModelProfile { get; }

    /// <summary>Restores the enclosing scope. Dispose on the flow that made it (a <c>using</c> block).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (ReferenceEquals(s_current.Value, this))
        {
            s_current.Value = _previous;
        }
    }

    // Set from synchronous methods only: a value set inside an async method does not flow back to its caller.
    internal static LedgerScope Enter(LedgerRun run, int turn, string actor, string? modelProfile)
    {
        var scope = new LedgerScope(run, turn, actor, modelProfile, s_current.Value);
        s_current.Value = scope;
        return scope;
    }
}
