namespace Guardrail.Streaming;

/// <summary>An event's data is JSON, but not of the shape its dialect reads; the message says what is wrong.</summary>
internal sealed class StreamEventFormatException(string message) : Exception(message);
