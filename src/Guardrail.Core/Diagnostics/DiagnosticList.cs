using Guardrail.Taxonomy;

namespace Guardrail.Diagnostics;

/// <summary>Collects diagnostics from every file so that one load reports all of them.</summary>
/// <param name="file">The file that positions without a file name belong to; null when every call names one.</param>
internal sealed class DiagnosticList(string? file = null)
{
    private readonly List<FileDiagnostic> _items = [];

    public int Count => _items.Count;

    // Ordered so that a reader can walk each file top to bottom; problems without a position come last.
    public IReadOnlyList<FileDiagnostic> Items =>
    [
        .. _items
            .OrderBy(static item => item.Line == 0 ? 1 : 0)
            .ThenBy(static item => item.File, StringComparer.Ordinal)
            .ThenBy(static item => item.Line)
            .ThenBy(static item => item.Column),
    ];

    public void Add(string file, int line, int column, string message) => _items.Add(new FileDiagnostic(file, line, column, message));

    public void Add(string file, YamlTreeNode node, string message) => Add(file, node.Line, node.Column, message);

    public void Add(SourcePosition position, string message) => _items.Add(new FileDiagnostic(position, message));

    /// <summary>A problem in this list's own file.</summary>
    public void Add(int line, int column, string message) =>
        Add(file ?? throw new InvalidOperationException("This list has no file of its own; name the file."), line, column, message);

    /// <summary>Several problems at one node of this list's own file.</summary>
    public void AddAll(YamlTreeNode node, IEnumerable<string> messages)
    {
        foreach (var message in messages)
        {
            Add(node.Line, node.Column, message);
        }
    }
}
