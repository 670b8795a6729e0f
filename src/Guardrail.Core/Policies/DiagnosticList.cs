using Guardrail.Taxonomy;

namespace Guardrail.Policies;

/// <summary>Collects diagnostics from every file so that one load reports all of them.</summary>
internal sealed class DiagnosticList
{
    private readonly List<PolicyDiagnostic> _items = [];

    public int Count => _items.Count;

    // Ordered so that a reader can walk each file top to bottom; problems without a position come last.
    public IReadOnlyList<PolicyDiagnostic> Items =>
    [
        .. _items
            .OrderBy(static item => item.Line == 0 ? 1 : 0)
            .ThenBy(static item => item.File, StringComparer.Ordinal)
            .ThenBy(static item => item.Line)
            .ThenBy(static item => item.Column),
    ];

    public void Add(string file, int line, int column, string message) => _items.Add(new PolicyDiagnostic(file, line, column, message));

    public void Add(string file, YamlTreeNode node, string message) => Add(file, node.Line, node.Column, message);

    public void Add(PolicySourcePosition position, string message) => _items.Add(new PolicyDiagnostic(position, message));
}
