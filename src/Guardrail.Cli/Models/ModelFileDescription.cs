using System.Globalization;

namespace Guardrail.Cli.Models;

/// <summary>What a GGUF header says about a model, and what would stop the gateway from running it.</summary>
internal sealed record ModelFileDescription
{
    public required long FileSize { get; init; }

    public string? Architecture { get; init; }

    public string? Name { get; init; }

    /// <summary>Weights counted from the tensor shapes.</summary>
    public long Parameters { get; init; }

    /// <summary><c>general.size_label</c> (e.g. <c>1B</c>), written by recent converters.</summary>
    public string? SizeLabel { get; init; }

    /// <summary>The quantization named by <c>general.file_type</c> (e.g. <c>Q8_0</c>).</summary>
    public string? Quantization { get; init; }

    public string? TokenizerModel { get; init; }

    public string? PreTokenizer { get; init; }

    public long? TokenCount { get; init; }

    public int TensorCount { get; init; }

    /// <summary>Why the gateway would not run this file; empty when it would.</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

    public bool IsUsable => Problems.Count == 0;

    /// <summary>A parameter count as people write it: 1.24B, 66.8M.</summary>
    public string ParameterText => FormatParameters(Parameters);

    /// <summary>A parameter count as people write it: 1.24B, 66.8M.</summary>
    public static string FormatParameters(long parameters) => parameters switch
    {
        >= 1_000_000_000 => string.Create(CultureInfo.InvariantCulture, $"{parameters / 1e9:0.##}B"),
        >= 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{parameters / 1e6:0.#}M"),
        >= 1_000 => string.Create(CultureInfo.InvariantCulture, $"{parameters / 1e3:0.#}K"),
        _ => parameters.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Bytes in binary units: 1.49 GiB.</summary>
    public static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.00} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.0} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 10):0.0} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
    };
}
