namespace Guardrail.Taxonomy;

/// <summary>One problem in a taxonomy file, with where it is (1-based line and column).</summary>
public sealed record TaxonomyError(string File, int Line, int Column, string Message)
{
    /// <summary>The compiler-style form <c>file:line:column: message</c>.</summary>
    public override string ToString() => $"{File}:{Line}:{Column}: {Message}";
}
