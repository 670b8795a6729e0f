using Guardrail.Classification;

namespace Guardrail.LlamaCpp.Classification;

/// <summary>
/// One queued check: its tokens, its caller's cancellation and its deadline. Whoever completes it first wins: the
/// worker with a verdict, the deadline with a timeout verdict, or the caller by cancelling.
/// </summary>
internal sealed class Work : IDisposable
{
    private readonly CancellationToken _caller;
    private readonly CancellationTokenSource _deadline;
    private readonly CancellationTokenSource _linked;
    private readonly TimeSpan _timeout;
    private readonly string _model;
    private int _released;

    public Work(TokenizedPrompt prompt, string tenant, long started, CancellationToken caller, TimeSpan timeout, TimeProvider time, string model)
    {
        Prompt = prompt;
        Tenant = tenant;
        Started = started;
        _caller = caller;
        _timeout = timeout;
        _model = model;
        _deadline = new CancellationTokenSource(timeout, time);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(caller, _deadline.Token);
        Token = _linked.Token;
        _deadline.Token.Register(static state => ((Work)state!).CompleteUnwanted(), this);
    }

    public TokenizedPrompt Prompt { get; }

    /// <summary>The check's span and queueing time, for the engine's spans; null when tracing is off.</summary>
    public QueuedTrace? Trace { get; } = ClassifierTracing.Capture();

    /// <summary>Whose queue the check waits in (empty for a caller without tenants).</summary>
    public string Tenant { get; }

    public long Started { get; }

    /// <summary>Cancelled when the caller gives up or the deadline passes.</summary>
    public CancellationToken Token { get; }

    public TaskCompletionSource<GuardVerdict> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Nobody has given up on this check and it has no result yet.</summary>
    public bool IsWanted => !Token.IsCancellationRequested && !Completion.Task.IsCompleted;

    public void TryComplete(GuardVerdict verdict)
    {
        if (Completion.TrySetResult(verdict))
        {
            Release();
        }
    }

    /// <summary>Ends a check nobody waits for any more: cancelled for a caller that left, a timeout verdict otherwise.</summary>
    public void CompleteUnwanted()
    {
        var done = _caller.IsCancellationRequested
            ? Completion.TrySetCanceled(_caller)
            : Completion.TrySetResult(GuardVerdict.Failed($"The classifier did not answer within {_timeout.TotalSeconds:0.#} s.", _model));
        if (done)
        {
            Release();
        }
    }

    /// <summary>Stops the deadline timer; a completed check releases it itself.</summary>
    public void Dispose() => Release();

    private void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _linked.Dispose();
            _deadline.Dispose();
        }
    }
}
