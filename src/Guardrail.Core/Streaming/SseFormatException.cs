namespace Guardrail.Streaming;

/// <summary>The backend's event stream broke a limit; the rest of it cannot be read safely.</summary>
internal sealed class SseFormatException : Exception
{
    public SseFormatException(string message)
        : base(message)
    {
    }

    public SseFormatException()
    {
    }

    public SseFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
