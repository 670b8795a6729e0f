namespace Guardrail.LlamaCpp.Gguf;

/// <summary>
/// A file is missing, unreadable, truncated or not a well-formed GGUF model. The message names the file and what is
/// wrong with it; it is raised before any native code sees the file.
/// </summary>
public sealed class GgufFormatException : Exception
{
    public GgufFormatException()
    {
    }

    public GgufFormatException(string message)
        : base(message)
    {
    }

    public GgufFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
