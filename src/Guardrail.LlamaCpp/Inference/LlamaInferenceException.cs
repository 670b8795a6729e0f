namespace Guardrail.LlamaCpp.Inference;

/// <summary>
/// llama.cpp refused or failed an operation (model load, context creation, decode, quantization). The message says
/// which, with the native return code where there is one.
/// </summary>
public sealed class LlamaInferenceException : Exception
{
    public LlamaInferenceException()
    {
    }

    public LlamaInferenceException(string message)
        : base(message)
    {
    }

    public LlamaInferenceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The native return code, when the failure came with one.</summary>
    public int? NativeCode { get; init; }
}
