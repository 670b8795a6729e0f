using System.Globalization;
using System.Text;
using Guardrail.LlamaCpp.Gguf;
using Guardrail.LlamaCpp.Inference;
using Guardrail.LlamaCpp.Native;

namespace Guardrail.Cli.Commands;

/// <summary>Describes a GGUF model from its header alone: no native code, so it works on any file, even a broken one.</summary>
internal static class ModelInspector
{
    public static string Describe(string path)
    {
        var file = GgufReader.Read(path);
        var architecture = file.Architecture ?? "(none)";
        string? Text(string key) => file.TryGetString(key);
        long? Number(string key) => file.TryGetInteger(key);
        string Show(long? value) => value?.ToString("N0", CultureInfo.InvariantCulture) ?? "(not set)";

        var prefix = architecture + ".";
        var vocabulary = Number(prefix + "vocab_size")
            ?? (file.Find("tokenizer.ggml.tokens") is { Type: GgufValueType.Array } tokens ? tokens.ArrayLength : null);
        var parameters = file.Tensors.Sum(t => t.ElementCount);
        var headCount = Number(prefix + "attention.head_count");
        var kvHeads = Number(prefix + "attention.head_count_kv");
        var fileType = Number("general.file_type");
        var ropeBase = file.Find(prefix + "rope.freq_base")?.AsDouble();

        var builder = new StringBuilder();
        void Line(string label, string value) =>
            builder.Append(CultureInfo.InvariantCulture, $"{label,-16}{value}").Append('\n');

        Line("file:", Path.GetFullPath(path));
        Line("size:", string.Create(CultureInfo.InvariantCulture, $"{FormatBytes(file.FileSize)} ({file.FileSize:N0} bytes)"));
        Line("gguf version:", file.Version.ToString(CultureInfo.InvariantCulture));
        Line("architecture:", architecture);
        Line("name:", Text("general.name") ?? "(not set)");
        Line("layers:", Show(Number(prefix + "block_count")));
        Line("embedding:", Show(Number(prefix + "embedding_length")));
        Line("feed-forward:", Show(Number(prefix + "feed_forward_length")));
        Line("heads:", kvHeads is null ? Show(headCount) : $"{Show(headCount)} (key/value {Show(kvHeads)})");
        Line("context length:", Show(Number(prefix + "context_length")));
        Line("rope base:", ropeBase?.ToString("G6", CultureInfo.InvariantCulture) ?? "(not set)");
        Line("vocab size:", Show(vocabulary));
        Line("tokenizer:", Text("tokenizer.ggml.model") is { } model ? $"{model} ({Text("tokenizer.ggml.pre") ?? "default"})" : "(none)");
        Line("parameters:", string.Create(CultureInfo.InvariantCulture, $"{FormatCount(parameters)} ({parameters:N0})"));
        Line("file type:", fileType is null ? "(not set)" : FileTypeName(fileType.Value));
        Line("variant:", ModelVariantDetector.Detect(file).Describe());
        if (Text("guardrail.keyword_guard.spec") is { } triggers)
        {
            Line("keyword guard:", triggers);
        }

        Line("tensors:", string.Create(CultureInfo.InvariantCulture, $"{file.Tensors.Count:N0}: ") + string.Join(", ", file.Tensors
            .GroupBy(t => t.Type)
            .OrderByDescending(g => g.Count())
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key} x{g.Count()}"))));
        return builder.ToString();
    }

    private static string FileTypeName(long value) =>
        Enum.IsDefined(typeof(LlamaFileType), (int)value)
            ? string.Create(CultureInfo.InvariantCulture, $"{(LlamaFileType)value} ({value})")
            : value.ToString(CultureInfo.InvariantCulture);

    private static string FormatCount(long count) => count switch
    {
        >= 1_000_000_000 => string.Create(CultureInfo.InvariantCulture, $"{count / 1e9:0.##}B"),
        >= 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{count / 1e6:0.##}M"),
        >= 1_000 => string.Create(CultureInfo.InvariantCulture, $"{count / 1e3:0.##}K"),
        _ => count.ToString(CultureInfo.InvariantCulture),
    };

    private static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.##} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.##} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 10):0.##} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes"),
    };
}
