namespace Guardrail.LlamaCpp.Generation;

/// <summary>Why a request was refused before it ran.</summary>
public enum GenerationRejection
{
    /// <summary>Every sequence is busy and the waiting queue is full: retry later (HTTP 429/503).</summary>
    QueueFull,

    /// <summary>The prompt plus <c>max_tokens</c> is over the per-request KV budget (HTTP 400 <c>context_length_exceeded</c>).</summary>
    ContextLengthExceeded,

    /// <summary>The engine is shutting down.</summary>
    ShuttingDown,
}

/// <summary>A generation refused before it ran; <see cref="Reason"/> says which kind, the message says why.</summary>
public sealed class GenerationRejectedException : Exception
{
    public GenerationRejectedException()
    {
    }

    public GenerationRejectedException(string message)
        : base(message)
    {
    }

    public GenerationRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public GenerationRejectedException(GenerationRejection reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    public GenerationRejection Reason { get; }
}
