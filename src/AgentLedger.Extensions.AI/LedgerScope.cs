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
    /// <remarks>
    /// A scope disposed where its removal could not flow back (inside an async method, e.g. a run whose
    /// <c>run.started</c> failed) is skipped: the enclosing one is current again.
    /// </remarks>
    public static LedgerScope? Current
    {
        get
        {
            var scope = s_current.Value;
            while (scope is { _disposed: true })
            {
                scope = scope._previous;
            }

            return scope;
        }
    }

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
        var scope = new LedgerScope(run, turn, actor, modelProfile, Current);
        s_current.Value = scope;
        return scope;
    }
}
