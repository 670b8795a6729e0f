using System.Globalization;
using Guardrail.LlamaCpp.Gguf;
using Guardrail.LlamaCpp.Native;

namespace Guardrail.Cli.Models;

/// <summary>
/// Checks, from its header alone and in managed code, that a file is a model the gateway can run: a well-formed GGUF
/// (magic, version, every tensor inside the file), architecture <c>llama</c>, at least one tensor, and the Llama 3
/// vocabulary (byte-level BPE <c>gpt2</c> with the <c>llama-bpe</c> pre-tokenizer, 128,256 tokens), which the Llama
/// Guard prompt and the chat format are built from. A download is renamed into place only when this passes.
/// </summary>
internal static class ModelFileVerifier
{
    public const string RequiredArchitecture = "llama";
    public const string RequiredTokenizer = "gpt2";
    public const string RequiredPreTokenizer = "llama-bpe";
    public const int Llama3TokenCount = 128_256;

    /// <summary>Describes the file at <paramref name="path"/>; a file that is not GGUF at all is one problem.</summary>
    public static ModelFileDescription Describe(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            return Describe(GgufReader.Read(path));
        }
        catch (GgufFormatException error)
        {
            return new ModelFileDescription
            {
                FileSize = File.Exists(path) ? new FileInfo(path).Length : 0,
                Problems = [error.Message],
            };
        }
    }

    /// <summary>Describes a file being downloaded, through the stream that holds it open; messages name it <paramref name="source"/>.</summary>
    public static ModelFileDescription Describe(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrEmpty(source);
        stream.Position = 0;
        try
        {
            return Describe(GgufReader.Read(stream, source));
        }
        catch (GgufFormatException error)
        {
            return new ModelFileDescription { FileSize = stream.Length, Problems = [error.Message] };
        }
    }

    private static ModelFileDescription Describe(GgufFile file)
    {

        var tokens = file.Find("tokenizer.ggml.tokens") is { Type: GgufValueType.Array } list ? list.ArrayLength : (long?)null;
        var fileType = file.TryGetInteger("general.file_type");
        var description = new ModelFileDescription
        {
            FileSize = file.FileSize,
            Architecture = file.Architecture,
            Name = file.TryGetString("general.name"),
            Parameters = file.Tensors.Sum(t => t.ElementCount),
            SizeLabel = file.TryGetString("general.size_label"),
            Quantization = fileType is null ? null : QuantizationName(fileType.Value),
            TokenizerModel = file.TryGetString("tokenizer.ggml.model"),
            PreTokenizer = file.TryGetString("tokenizer.ggml.pre"),
            TokenCount = tokens,
            TensorCount = file.Tensors.Count,
        };
        return description with { Problems = ProblemsOf(description) };
    }

    private static List<string> ProblemsOf(ModelFileDescription model)
    {
        var problems = new List<string>();
        if (!string.Equals(model.Architecture, RequiredArchitecture, StringComparison.Ordinal))
        {
            problems.Add(model.Architecture is null
                ? "it names no architecture (general.architecture is missing)"
                : $"its architecture is '{model.Architecture}', not '{RequiredArchitecture}': the gateway runs Llama 3 models (Llama Guard 3, Llama 3.x Instruct) only");
        }

        if (model.TensorCount == 0)
        {
            problems.Add("it holds no tensors: a vocabulary-only file, not a model");
        }

        if (!string.Equals(model.TokenizerModel, RequiredTokenizer, StringComparison.Ordinal))
        {
            problems.Add(model.TokenizerModel switch
            {
                null => "it has no tokenizer (tokenizer.ggml.model is missing)",
                "llama" => "its tokenizer is SentencePiece ('llama': a Llama 1 or 2 vocabulary), not Llama 3's byte-level BPE ('gpt2')",
                var other => $"its tokenizer is '{other}', not Llama 3's byte-level BPE ('gpt2')",
            });
        }
        else if (!string.Equals(model.PreTokenizer, RequiredPreTokenizer, StringComparison.Ordinal))
        {
            problems.Add(model.PreTokenizer is null
                ? "its BPE vocabulary names no pre-tokenizer (converted before llama.cpp recorded it, or not Llama 3); Llama 3 needs 'llama-bpe'"
                : $"its pre-tokenizer is '{model.PreTokenizer}', not Llama 3's 'llama-bpe'");
        }

        if (model.TokenCount != Llama3TokenCount)
        {
            problems.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"its vocabulary has {model.TokenCount?.ToString("N0", CultureInfo.InvariantCulture) ?? "no"} tokens, not Llama 3's {Llama3TokenCount:N0}"));
        }

        return problems;
    }

    private static string QuantizationName(long fileType) =>
        fileType is >= 0 and <= int.MaxValue && Enum.IsDefined((LlamaFileType)(int)fileType)
            ? ((LlamaFileType)(int)fileType) switch
            {
                LlamaFileType.AllF32 => "F32",
                LlamaFileType.MostlyF16 => "F16",
                LlamaFileType.MostlyBF16 => "BF16",
                var known => known.ToString(),
            }
            : string.Create(CultureInfo.InvariantCulture, $"type {fileType}");
}
