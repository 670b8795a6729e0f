namespace Guardrail.LlamaCpp.Native;

/// <summary>
/// The llama.cpp runtime is missing, incomplete, of the wrong release, or failed to start. The message names the
/// path that was tried and how to fix it.
/// </summary>
public sealed class NativeRuntimeException : Exception
{
    public NativeRuntimeException()
    {
    }

    public NativeRuntimeException(string message)
        : base(message)
    {
    }

    public NativeRuntimeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
