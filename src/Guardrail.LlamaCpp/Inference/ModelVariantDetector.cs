using System.Globalization;
using Guardrail.Classification;
using Guardrail.LlamaCpp.Gguf;

namespace Guardrail.LlamaCpp.Inference;

/// <summary>One piece of metadata that names a variant.</summary>
/// <param name="Source">The key and its value as read, such as <c>general.size_label '1B'</c>.</param>
/// <param name="Variant">The variant it names.</param>
public sealed record ModelVariantSignal(string Source, GuardModelVariant Variant)
{
    /// <inheritdoc />
    public override string ToString() => Source;
}

/// <summary>What a GGUF file's metadata says about which Llama Guard variant it holds.</summary>
/// <param name="Variant">The variant every signal agrees on; <see cref="GuardModelVariant.Unknown"/> when none names one or they disagree.</param>
/// <param name="Evidence">Each signal that named a variant, in the order they were read.</param>
public sealed record ModelVariantDetection(GuardModelVariant Variant, IReadOnlyList<ModelVariantSignal> Evidence)
{
    /// <summary>True when signals named different variants (the file is then treated as <see cref="GuardModelVariant.Unknown"/>).</summary>
    public bool IsConflicting => !Variant.IsKnown && Evidence.Count > 0;

    /// <summary>One line for people: the variant and why.</summary>
    public string Describe() => Evidence.Count == 0
        ? $"{Variant.Id} (no metadata names the variant)"
        : IsConflicting
            ? $"{Variant.Id} (the metadata disagrees: {string.Join("; ", Evidence.Select(static signal => $"{signal.Source} says {signal.Variant.Id}"))})"
            : $"{Variant.Id} (from {string.Join("; ", Evidence)})";
}

/// <summary>
/// Reads which Llama Guard variant a GGUF file holds from its header alone (managed code, no weights read), so that
/// the gateway, <c>guardrail model inspect</c> and <c>guardrail policy show --model</c> agree.
/// </summary>
/// <remarks>
/// <para>
/// Signals, each optional because converters write different subsets: <c>general.size_label</c> (llama.cpp's
/// converter writes <c>1B</c> / <c>8B</c> from the Hugging Face id; a label computed from the parameter count of the
/// 1B model, which has an untied output matrix, reads <c>1.5B</c>); <c>general.name</c>, <c>general.basename</c>
/// and <c>general.finetune</c> when they name a guard and a size (<c>Llama-Guard-3-1B</c>); the shape
/// (<c>llama.block_count</c>, widths and heads: 16 x 2048 is the Llama 3.2 1B shape, 32 x 4096 the Llama 3.1 8B
/// shape, which fixes the parameter count too); and <c>tokenizer.chat_template</c> when it is a Llama Guard template
/// that names a plain category list (the 8B template lists <c>S14: Code Interpreter Abuse.</c>; a list that ends at
/// S13 without naming S14 anywhere is the 1B set). A template that mentions S14 only inside template logic decides
/// nothing.
/// </para>
/// <para>
/// Signals that disagree give <see cref="GuardModelVariant.Unknown"/>: guessing could leave a category unchecked or
/// ask one the model never learnt, and the operator can settle it with <c>Guardrail:Classifier:Variant</c>.
/// </para>
/// </remarks>
internal static class ModelVariantDetector
{
    public const string SizeLabelKey = "general.size_label";
    public const string NameKey = "general.name";
    public const string BaseNameKey = "general.basename";
    public const string FineTuneKey = "general.finetune";
    public const string ChatTemplateKey = "tokenizer.chat_template";

    private const string CategoryListMarker = "<BEGIN UNSAFE CONTENT CATEGORIES>";

    public static ModelVariantDetection Detect(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var signals = new List<ModelVariantSignal>();
        void Add(string source, GuardModelVariant? variant)
        {
            if (variant is not null)
            {
                signals.Add(new ModelVariantSignal(source, variant));
            }
        }

        if (file.TryGetString(SizeLabelKey) is { } sizeLabel)
        {
            Add($"{SizeLabelKey} '{sizeLabel}'", FromSizeLabel(sizeLabel));
        }

        foreach (var key in (string[])[NameKey, BaseNameKey, FineTuneKey])
        {
            if (file.TryGetString(key) is { } name)
            {
                Add($"{key} '{name}'", FromName(name));
            }
        }

        var architecture = file.Architecture ?? LlamaModel.SupportedArchitecture;
        int Metadata(string suffix) => (int)Math.Clamp(file.TryGetInteger($"{architecture}.{suffix}") ?? 0, 0, int.MaxValue);
        var embedding = Metadata("embedding_length");
        var layers = Metadata("block_count");
        var heads = Metadata("attention.head_count");
        var kvHeads = file.TryGetInteger($"{architecture}.attention.head_count_kv") is null ? heads : Metadata("attention.head_count_kv");
        var shape = LlamaModelInfo.ClassifyShape(embedding, layers, heads, kvHeads, Metadata("feed_forward_length"));
        Add(
            string.Create(CultureInfo.InvariantCulture, $"shape {layers} layers x {embedding}"),
            GuardModelVariant.ForTaxonomyModel(shape));

        if (file.TryGetString(ChatTemplateKey) is { } template)
        {
            Add($"{ChatTemplateKey} category list", FromChatTemplate(template));
        }

        var variants = signals.Select(static signal => signal.Variant).Distinct().ToList();
        return new ModelVariantDetection(variants.Count == 1 ? variants[0] : GuardModelVariant.Unknown, signals);
    }

    /// <summary><c>1B</c> and <c>1.5B</c> (the 1B model's computed label) are the 1B model; <c>8B</c> the 8B; anything else says nothing.</summary>
    internal static GuardModelVariant? FromSizeLabel(string label) => label.Trim().ToUpperInvariant() switch
    {
        "1B" or "1.5B" => GuardModelVariant.LlamaGuard3OneB,
        "8B" or "8.0B" => GuardModelVariant.LlamaGuard3EightB,
        _ => null,
    };

    /// <summary>A name that says "guard" and exactly one of the sizes 1B or 8B (<c>Llama-Guard-3-1B</c>, <c>llama guard 3 8b q4_k_m</c>).</summary>
    internal static GuardModelVariant? FromName(string name)
    {
        if (!name.Contains("guard", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        // "1b" / "8b" as a word of its own between separators: not "s18b", "1bit" or "3.1b".
        var sizes = Words(name)
            .Where(static word => word.Length == 2 && word[0] is ('1' or '8') && word[1] is ('b' or 'B'))
            .Select(static word => word[0])
            .Distinct()
            .ToList();
        return sizes.Count == 1 ? GuardModelVariant.ForTaxonomyModel(sizes[0] + "B") : null;
    }

    /// <summary>The runs of ASCII letters, digits and dots in <paramref name="text"/>.</summary>
    private static IEnumerable<string> Words(string text)
    {
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '.');
            if (inWord && start < 0)
            {
                start = i;
            }
            else if (!inWord && start >= 0)
            {
                yield return text[start..i];
                start = -1;
            }
        }
    }

    /// <summary>A Llama Guard template's own plain category list: S14 named as a line means 8B, a list ending at S13 with no S14 at all means 1B.</summary>
    internal static GuardModelVariant? FromChatTemplate(string template)
    {
        if (!template.Contains(CategoryListMarker, StringComparison.Ordinal))
        {
            return null;
        }

        if (template.Contains("S14: Code Interpreter Abuse", StringComparison.Ordinal))
        {
            return GuardModelVariant.LlamaGuard3EightB;
        }

        var namesS13 = template.Contains("S13: Elections", StringComparison.Ordinal) || template.Contains("\"S13\"", StringComparison.Ordinal);
        var mentionsS14 = template.Contains("S14", StringComparison.Ordinal) || template.Contains("Code Interpreter", StringComparison.Ordinal);
        return namesS13 && !mentionsS14 ? GuardModelVariant.LlamaGuard3OneB : null;
    }
}
