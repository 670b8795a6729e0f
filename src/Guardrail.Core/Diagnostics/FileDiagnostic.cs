namespace Guardrail.Diagnostics;

/// <summary>
/// One problem in a configuration file the gateway reads (a policy, a taxonomy, an evaluation set): an error, or a
/// warning where it says so, with where it is.
/// </summary>
/// <param name="File">The file as given to the loader.</param>
/// <param name="Line">1-based line; 0 when the problem is not in one place (for example no default policy).</param>
/// <param name="Column">1-based column; 0 with <paramref name="Line"/> 0.</param>
/// <param name="Message">What is wrong and, where it helps, how to fix it.</param>
public sealed record FileDiagnostic(string File, int Line, int Column, string Message)
{
    /// <summary>A diagnostic at a recorded position.</summary>
    public FileDiagnostic(SourcePosition position, string message)
        : this(position?.File ?? throw new ArgumentNullException(nameof(position)), position.Line, position.Column, message)
    {
    }

    /// <summary>The compiler-style form <c>file:line:column: message</c>.</summary>
    public override string ToString() => $"{File}:{Line}:{Column}: {Message}";
}
