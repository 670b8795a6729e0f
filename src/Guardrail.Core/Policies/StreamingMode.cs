namespace Guardrail.Policies;

/// <summary>How a streamed response is checked (a policy's <c>streaming.mode</c>).</summary>
public enum StreamingMode
{
    /// <summary>Hold back a window of text: no text reaches the client before a check that passed has covered it (the default).</summary>
    Window,

    /// <summary>Hold the whole response, check it once, then release it or the refusal.</summary>
    Buffer,

    /// <summary>
    /// Forward at once and check alongside: decisions are recorded and counted as the policy decides them, never
    /// enforced (a stream is never cut, even by a decision recorded as a block).
    /// </summary>
    Monitor,
}
