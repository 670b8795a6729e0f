namespace Guardrail.Classification;

/// <summary>Classifies conversations with Llama Guard (in process or on a remote server).</summary>
public interface IGuardClassifier
{
    /// <summary>
    /// Classifies <paramref name="request"/>. Failures of the model or the input come back as an
    /// <see cref="GuardOutcome.Error"/> verdict; cancellation throws <see cref="OperationCanceledException"/>.
    /// </summary>
    ValueTask<GuardVerdict> ClassifyAsync(GuardRequest request, CancellationToken cancellationToken);
}
