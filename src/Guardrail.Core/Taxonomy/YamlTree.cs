using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Guardrail.Taxonomy;

/// <summary>A YAML node with its position; keeps duplicate keys so that validation can report them.</summary>
internal abstract record YamlTreeNode(int Line, int Column);

/// <summary>A scalar as text; <see cref="IsPlainNull"/> is true for an empty or <c>~</c>/<c>null</c> plain scalar.</summary>
internal sealed record YamlTreeScalar(string Value, bool IsPlainNull, int Line, int Column) : YamlTreeNode(Line, Column);

/// <summary>A sequence.</summary>
internal sealed record YamlTreeSequence(IReadOnlyList<YamlTreeNode> Items, int Line, int Column) : YamlTreeNode(Line, Column);

/// <summary>A mapping whose entries stay in file order, duplicates included.</summary>
internal sealed record YamlTreeMapping(IReadOnlyList<KeyValuePair<YamlTreeScalar, YamlTreeNode>> Entries, int Line, int Column)
    : YamlTreeNode(Line, Column);

/// <summary>
/// Reads one YAML document into <see cref="YamlTreeNode"/>s. YamlDotNet's own object model rejects a duplicate
/// key by throwing, which would stop validation at the first problem; reading parser events ourselves lets the
/// loaders report every duplicate with its line, next to all other errors.
/// </summary>
internal static class YamlTreeReader
{
    /// <summary>Parses <paramref name="text"/>; null for an empty document.</summary>
    /// <exception cref="YamlException">The text is not well-formed YAML, or uses anchors, aliases or complex keys.</exception>
    public static YamlTreeNode? Read(string text)
    {
        var parser = new Parser(new StringReader(text));
        try
        {
            return ReadDocument(parser);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // YamlDotNet reports some malformed input (a global tag that is not a URI, tokens after the end, a scanner
            // in the wrong state) with these instead of YamlException; found by fuzzing. Same error, same position.
            var at = parser.Current is { } current ? (current.Start, current.End) : (Mark.Empty, Mark.Empty);
            throw new YamlException(at.Item1, at.Item2, "The text is not well-formed YAML: " + e.Message, e);
        }
    }

    private static YamlTreeNode? ReadDocument(Parser parser)
    {
        parser.Consume<StreamStart>();
        if (parser.TryConsume<StreamEnd>(out _))
        {
            return null;
        }

        parser.Consume<DocumentStart>();
        var root = ReadNode(parser);
        parser.Consume<DocumentEnd>();
        if (!parser.Accept<StreamEnd>(out _))
        {
            throw new YamlException(parser.Current!.Start, parser.Current.End, "Only one YAML document is allowed per file.");
        }

        return root;
    }

    private static YamlTreeNode ReadNode(IParser parser)
    {
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            RejectAnchor(scalar);
            var isNull = scalar.Style == ScalarStyle.Plain
                && (scalar.Value.Length == 0 || scalar.Value is "~" or "null" or "Null" or "NULL");
            return new YamlTreeScalar(scalar.Value, isNull, Line(scalar.Start), Column(scalar.Start));
        }

        if (parser.TryConsume<SequenceStart>(out var sequenceStart))
        {
            RejectAnchor(sequenceStart);
            var items = new List<YamlTreeNode>();
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                items.Add(ReadNode(parser));
            }

            return new YamlTreeSequence(items, Line(sequenceStart.Start), Column(sequenceStart.Start));
        }

        if (parser.TryConsume<MappingStart>(out var mappingStart))
        {
            RejectAnchor(mappingStart);
            var entries = new List<KeyValuePair<YamlTreeScalar, YamlTreeNode>>();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                if (ReadNode(parser) is not YamlTreeScalar key)
                {
                    throw new YamlException(mappingStart.Start, mappingStart.End, "Mapping keys must be plain text.");
                }

                entries.Add(new(key, ReadNode(parser)));
            }

            return new YamlTreeMapping(entries, Line(mappingStart.Start), Column(mappingStart.Start));
        }

        var current = parser.Current!;
        throw new YamlException(current.Start, current.End, "Anchors and aliases are not supported in this file.");
    }

    private static void RejectAnchor(NodeEvent node)
    {
        if (!node.Anchor.IsEmpty)
        {
            throw new YamlException(node.Start, node.End, "Anchors and aliases are not supported in this file.");
        }
    }

    internal static int Line(Mark mark) => checked((int)mark.Line);

    internal static int Column(Mark mark) => checked((int)mark.Column);
}
