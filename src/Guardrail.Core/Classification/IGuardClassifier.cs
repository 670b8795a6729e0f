namespace Guardrail.Classification;

/// <summary>Classifies conversations with Llama Guard (in process or on a remote server).</summary>
public interface IGuardClassifier
{
    /// <summary>
    /// Which Llama Guard model answers, so that callers send it only the categories it was trained on
    /// (<see cref="GuardModelVariant.Select"/>). A classifier that cannot tell says <see cref="GuardModelVariant.Unknown"/>,
    /// and is then sent every category a policy enables.
    /// </summary>
    GuardModelVariant Variant => GuardModelVariant.Unknown;

    /// <summary>
    /// Classifies <paramref name="request"/>. Failures of the model or the input come back as an
    /// <see cref="GuardOutcome.Error"/> verdict; cancellation throws <see cref="OperationCanceledException"/>.
    /// </summary>
    ValueTask<GuardVerdict> ClassifyAsync(GuardRequest request, CancellationToken cancellationToken);
}
