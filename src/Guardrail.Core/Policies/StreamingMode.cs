namespace Guardrail.Policies;

/// <summary>How a streamed response is checked.</summary>
public enum StreamingMode
{
    /// <summary>Hold the whole response, check it once, then release it or the refusal.</summary>
    Buffer,

    /// <summary>Hold back a window of text; no text reaches the client before a check has passed over it.</summary>
    Window,

    /// <summary>Forward at once and check behind the stream; a verdict cuts the stream but cannot recall text.</summary>
    Monitor,
}
