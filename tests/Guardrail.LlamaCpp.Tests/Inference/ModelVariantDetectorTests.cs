using Guardrail.Classification;
using Guardrail.LlamaCpp.Gguf;
using Guardrail.LlamaCpp.Inference;

namespace Guardrail.LlamaCpp.Tests.Inference;

public sealed class ModelVariantDetectorTests
{
    // The Hugging Face chat templates' own category lists, reduced to what the detector reads.
    private const string EightBTemplate =
        "{{ \"<|begin_of_text|><|start_header_id|>user<|end_header_id|>\\n\\nTask: Check if there is unsafe content in '\" + role + \"' messages "
        + "in conversations according our safety policy with the below categories.\\n\\n<BEGIN UNSAFE CONTENT CATEGORIES>\\nS1: Violent Crimes.\\n"
        + "S13: Elections.\\nS14: Code Interpreter Abuse.\\n<END UNSAFE CONTENT CATEGORIES>\" }}";

    private const string OneBTemplate =
        "{%- set categories = {\"S1\": \"Violent Crimes.\", \"S12\": \"Sexual Content.\", \"S13\": \"Elections.\"} -%}"
        + "<BEGIN UNSAFE CONTENT CATEGORIES>\\n{%- for key in categories %}{{ key + ': ' + categories[key] }}{% endfor %}";

    private const string ConditionalS14Template =
        "{%- set categories = {\"S1\": \"Violent Crimes.\", \"S13\": \"Elections.\"} -%}"
        + "{%- if not ns.contains_image %}{%- set _ = categories.update({\"S14\": \"Code Interpreter Abuse.\"}) %}{%- endif %}"
        + "<BEGIN UNSAFE CONTENT CATEGORIES>";

    [Theory]
    [InlineData("1B", "llama-guard-3-1b")]
    [InlineData("1.5B", "llama-guard-3-1b")]
    [InlineData("8B", "llama-guard-3-8b")]
    [InlineData("8b", "llama-guard-3-8b")]
    public void Detect_SizeLabel_NamesTheVariant(string label, string expected)
    {
        var detection = ModelVariantDetector.Detect(File(("general.size_label", label)));

        Assert.Equal(expected, detection.Variant.Id);
        Assert.Equal([$"general.size_label '{label}'"], detection.Evidence.Select(signal => signal.Source));
    }

    [Theory]
    [InlineData("Llama Guard 3 1B", "llama-guard-3-1b")]
    [InlineData("Llama-Guard-3-8B", "llama-guard-3-8b")]
    [InlineData("llama-guard3:1b", "llama-guard-3-1b")]
    [InlineData("Meta Llama Guard 3 8B Q4_K_M", "llama-guard-3-8b")]
    [InlineData("Llama Guard 3", "unknown")]
    [InlineData("Meta-Llama-3.1-8B-Instruct", "unknown")]
    [InlineData("llama-guard-3-1b-vs-8b", "unknown")]
    [InlineData("guard 18b", "unknown")]
    [InlineData("guard 1bit", "unknown")]
    [InlineData("models", "unknown")]
    public void Detect_Name_CountsOnlyAGuardWithOneSize(string name, string expected)
    {
        Assert.Equal(expected, ModelVariantDetector.Detect(File(("general.name", name))).Variant.Id);
    }

    [Fact]
    public void Detect_BaseNameAndFineTune_AreReadToo()
    {
        Assert.Equal(GuardModelVariant.LlamaGuard3OneB, ModelVariantDetector.Detect(File(("general.basename", "Llama-Guard-3-1B"))).Variant);
        Assert.Equal(GuardModelVariant.LlamaGuard3EightB, ModelVariantDetector.Detect(File(("general.finetune", "guard-8b"))).Variant);
    }

    [Theory]
    [InlineData(2048u, 16u, 32u, 8u, 8192u, "llama-guard-3-1b")]
    [InlineData(4096u, 32u, 32u, 8u, 14336u, "llama-guard-3-8b")]
    [InlineData(64u, 1u, 1u, 1u, 128u, "unknown")]
    public void Detect_ShapeAlone_NamesTheLlamaGuardShapes(uint embedding, uint layers, uint heads, uint kvHeads, uint feedForward, string expected)
    {
        var file = File(
            ("llama.embedding_length", embedding),
            ("llama.block_count", layers),
            ("llama.attention.head_count", heads),
            ("llama.attention.head_count_kv", kvHeads),
            ("llama.feed_forward_length", feedForward));

        Assert.Equal(expected, ModelVariantDetector.Detect(file).Variant.Id);
    }

    [Theory]
    [InlineData(EightBTemplate, "llama-guard-3-8b")]
    [InlineData(OneBTemplate, "llama-guard-3-1b")]
    [InlineData(ConditionalS14Template, "unknown")]
    [InlineData("{{ bos_token }}{% for message in messages %}{{ message['content'] }}{% endfor %}", "unknown")]
    public void Detect_ChatTemplate_CountsOnlyAPlainLlamaGuardCategoryList(string template, string expected)
    {
        Assert.Equal(expected, ModelVariantDetector.Detect(File(("tokenizer.chat_template", template))).Variant.Id);
    }

    [Fact]
    public void Detect_PublishedOneBillionFile_AgreesOnOneBillion()
    {
        var detection = ModelVariantDetector.Detect(File(
            ("general.name", "Llama Guard 3 1B"),
            ("general.basename", "Llama-Guard-3"),
            ("general.size_label", "1B"),
            ("llama.embedding_length", 2048u),
            ("llama.block_count", 16u),
            ("llama.attention.head_count", 32u),
            ("llama.attention.head_count_kv", 8u),
            ("llama.feed_forward_length", 8192u),
            ("tokenizer.chat_template", OneBTemplate)));

        Assert.Equal(GuardModelVariant.LlamaGuard3OneB, detection.Variant);
        Assert.False(detection.IsConflicting);
        Assert.Equal(4, detection.Evidence.Count);
        Assert.Equal(
            "llama-guard-3-1b (from general.size_label '1B'; general.name 'Llama Guard 3 1B'; shape 16 layers x 2048; tokenizer.chat_template category list)",
            detection.Describe());
    }

    [Fact]
    public void Detect_SignalsDisagree_IsUnknownAndSaysWhy()
    {
        var detection = ModelVariantDetector.Detect(File(("general.size_label", "1B"), ("tokenizer.chat_template", EightBTemplate)));

        Assert.Equal(GuardModelVariant.Unknown, detection.Variant);
        Assert.True(detection.IsConflicting);
        Assert.Equal(
            "unknown (the metadata disagrees: general.size_label '1B' says llama-guard-3-1b; tokenizer.chat_template category list says llama-guard-3-8b)",
            detection.Describe());
    }

    [Fact]
    public void Detect_NothingSaysAnything_IsUnknownWithoutConflict()
    {
        var detection = ModelVariantDetector.Detect(File(("general.size_label", "3B"), ("general.name", "keyword guard")));

        Assert.Equal(GuardModelVariant.Unknown, detection.Variant);
        Assert.False(detection.IsConflicting);
        Assert.Equal("unknown (no metadata names the variant)", detection.Describe());
    }

    private static GgufFile File(params (string Key, object Value)[] entries)
    {
        var metadata = new List<KeyValuePair<string, GgufValue>> { new(GgufConstants.ArchitectureKey, GgufValue.FromString("llama")) };
        foreach (var (key, value) in entries)
        {
            metadata.Add(new(key, value switch
            {
                string text => GgufValue.FromString(text),
                uint number => GgufValue.FromUInt32(number),
                _ => throw new ArgumentException($"No GGUF value for {value.GetType().Name}.", nameof(entries)),
            }));
        }

        return new GgufFile("test.gguf", GgufConstants.Version, 0, GgufConstants.DefaultAlignment, 0, metadata, []);
    }
}
