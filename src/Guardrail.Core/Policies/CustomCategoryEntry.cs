using Guardrail.Diagnostics;

namespace Guardrail.Policies;

/// <summary>One entry of <c>custom_categories</c>.</summary>
internal sealed record CustomCategoryEntry(string Code, string Name, string Description, CategoryAction? Action, SourcePosition Position, SourcePosition CodePosition);
