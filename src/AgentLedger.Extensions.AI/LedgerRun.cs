using System.Text.Json.Nodes;

namespace AgentLedger.Extensions.AI;

/// <summary>
/// One run being recorded: its bookend events, its turns (<see cref="Turn"/>) and the token total of the model
/// calls recorded under it. Safe for concurrent agents: each task enters its own turn scope.
/// </summary>
public sealed class LedgerRun : IAsyncDisposable
{
    private readonly LedgerRunOptions _options;
    private LedgerScope? _root;
    private long _tokens;
    private int _maxTurn;
    private int _finished;

    internal LedgerRun(ILedgerWriter ledger, string runId, LedgerRunOptions options)
    {
        Ledger = ledger;
        RunId = runId;
        _options = options;
        SessionId = LedgerEvent.NormalizeSessionId(options.SessionId);
    }

    /// <summary>The run of the current async flow, or null.</summary>
    public static LedgerRun? Current => LedgerScope.Current?.Run;

    public ILedgerWriter Ledger { get; }

    public string RunId { get; }

    public string? SessionId { get; }

    /// <summary>The tokens of the model calls recorded under this run by this process so far.</summary>
    public long Tokens => Interlocked.Read(ref _tokens);

    public bool IsFinished => Volatile.Read(ref _finished) != 0;

    internal CallSequencer Sequencer { get; } = new();

    internal TimeProvider TimeProvider => _options.TimeProvider;

    /// <summary>
    /// Enters turn <paramref name="turn"/> as <paramref name="actor"/> (null: the enclosing scope's actor) asking
    /// for <paramref name="modelProfile"/> (null: the enclosing scope's). Dispose it to leave.
    /// </summary>
    public LedgerScope Turn(int turn, string? actor = null, string? modelProfile = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(turn);
        var enclosing = LedgerScope.Current is { } current && ReferenceEquals(current.Run, this) ? current : _root;
        InterlockedMax(ref _maxTurn, turn);
        return LedgerScope.Enter(this, turn, actor ?? enclosing?.Actor ?? _options.Actor, modelProfile ?? enclosing?.ModelProfile);
    }

    /// <summary>
    /// Appends an event of the application's own (e.g. <c>agent.spoke</c>) in the current turn, as the current
    /// actor, with a deterministic id: the n-th event of a kind in a (turn, actor) has the same id in every replay.
    /// </summary>
    public ValueTask<AppendResult> AppendAsync(string kind, JsonObject payload, string? modelId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(payload);
        var scope = LedgerScope.Current is { } current && ReferenceEquals(current.Run, this) ? current : _root!;
        var n = Sequencer.Next(RunId, scope.Turn, scope.Actor, "event:" + kind);
        var id = EventIds.Of(RunId, scope.Turn.ToString(System.Globalization.CultureInfo.InvariantCulture), scope.Actor, kind, n.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var ledgerEvent = new LedgerEvent(RunId, scope.Turn, kind, scope.Actor, payload, id, TimeProvider.GetUtcNow(),
            sessionId: SessionId, modelProfile: scope.ModelProfile, modelId: modelId);
        return Ledger.AppendAsync(ledgerEvent, cancellationToken);
    }

    /// <summary>
    /// Appends <c>run.finished</c> once: <c>outcome</c> (e.g. <c>completed</c>, <c>failed</c>), the fields of
    /// <paramref name="details"/> (e.g. <c>reason</c>, <c>winner</c>), <c>turns</c> unless given, and <c>tokens</c>: the
    /// sum of the run's recorded usage, read back from the ledger when the writer can read (so a resumed run
    /// counts what an earlier process recorded), else what this process recorded.
    /// </summary>
    public async ValueTask<AppendResult?> FinishAsync(string outcome = "completed", JsonObject? details = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outcome);
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return null;
        }

        // What clients queued write-behind belongs before the bookend, and in its token total.
        if (BackgroundAppender.Existing(Ledger) is { } appender)
        {
            await appender.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        var payload = details?.DeepClone().AsObject() ?? [];
        payload["outcome"] = outcome;
        payload["turns"] ??= Volatile.Read(ref _maxTurn);
        payload["tokens"] = Ledger is ILedgerReader reader ? await SumUsageAsync(reader, cancellationToken).ConfigureAwait(false) : Tokens;
        var ledgerEvent = new LedgerEvent(RunId, Volatile.Read(ref _maxTurn), "run.finished", _options.Actor, payload,
            EventIds.Of(RunId, "run.finished"), TimeProvider.GetUtcNow(), sessionId: SessionId);
        return await Ledger.AppendAsync(ledgerEvent, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Finishes the run (outcome <c>completed</c>) unless it was finished, and leaves its ambient scope.</summary>
    /// <remarks>To record a failure, call <see cref="FinishAsync"/> with <c>failed</c> before disposing.</remarks>
    public ValueTask DisposeAsync()
    {
        // Synchronous part first: the ambient scope is restored on the caller's flow.
        _root?.Dispose();
        return IsFinished ? ValueTask.CompletedTask : FinishQuietlyAsync();
    }

    internal void AddTokens(long tokens) => Interlocked.Add(ref _tokens, tokens);

    internal void EnterRoot() => _root = LedgerScope.Enter(this, 0, _options.Actor, null);

    internal async ValueTask<LedgerRun> StartAsync(CancellationToken cancellationToken)
    {
        var payload = _options.Details?.DeepClone().AsObject() ?? [];
        if (SessionId is not null)
        {
            payload["session_id"] ??= SessionId;
        }

        var started = new LedgerEvent(RunId, 0, "run.started", _options.Actor, payload, EventIds.Of(RunId, "run.started"),
            TimeProvider.GetUtcNow(), sessionId: SessionId);
        try
        {
            await Ledger.AppendAsync(started, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Disposed here, in an async method, the root stays set on the caller's flow but is skipped by Current.
            _root?.Dispose();
            throw;
        }

        return this;
    }

    private async ValueTask FinishQuietlyAsync() => await FinishAsync(cancellationToken: CancellationToken.None).ConfigureAwait(false);

    private async Task<long> SumUsageAsync(ILedgerReader reader, CancellationToken cancellationToken)
    {
        long sum = 0;
        await foreach (var stored in reader.ReadRunAsync(RunId, cancellationToken).ConfigureAwait(false))
        {
            sum += TokenUsage.Of(stored.Event);
        }

        return sum;
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen)
        {
            var previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }
}
