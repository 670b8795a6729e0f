namespace Guardrail.Diagnostics;

/// <summary>Where a setting was written: file, 1-based line and column.</summary>
public sealed record SourcePosition(string File, int Line, int Column)
{
    /// <summary>The compiler-style form <c>file:line:column</c>.</summary>
    public override string ToString() => $"{File}:{Line}:{Column}";
}
