using Guardrail.Diagnostics;

namespace Guardrail.Policies;

/// <summary>One entry of <c>categories</c>: a code and its action, with the code's position.</summary>
internal sealed record CategoryActionEntry(string Code, CategoryAction Action, SourcePosition Position);
