using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Guardrail.Classification;
using Guardrail.LlamaCpp.Native;
using Microsoft.Extensions.Logging.Abstractions;

namespace Guardrail.ModelSynthesis;

/// <summary>
/// Synthesized models for tests and benchmarks, built on first use into <c>.cache/models/</c> and reused after. A
/// file's name carries a hash of everything that decides its bytes (builder version, parameters, vocabulary), so a
/// changed spec or builder never reuses a stale file; files are renamed into place only when complete.
/// </summary>
public static class SyntheticModelCache
{
    // Bump when the bytes a builder writes for the same parameters change.
    private const string BuilderVersion = "synth-1";

    private static readonly ConcurrentDictionary<string, Lazy<string>> Builds = new(StringComparer.Ordinal);

    // Hashing the 8 MB vocabulary once per version of the file, not on every lookup.
    private static readonly ConcurrentDictionary<(string Path, long Length, DateTime Modified), string> VocabularyHashes = new();

    /// <summary><c>&lt;cache&gt;/synthetic</c>, beside the llama.cpp runtime cache (<c>GUARDRAIL_CACHE_DIR</c>; the two commands set it to the checkout's <c>.cache</c>).</summary>
    public static string ModelsDirectory =>
        Path.Combine(NativeRuntimeLocator.CacheDirectory(), "synthetic");

    /// <summary>
    /// The path of a keyword guard for <paramref name="spec"/> (for example <c>bomb=S1,violin=S10</c>), built if needed.
    /// </summary>
    /// <exception cref="FormatException">The spec does not parse.</exception>
    /// <exception cref="KeywordGuardSpecException">A word has no single-token form.</exception>
    public static string GetKeywordGuard(string spec, CancellationToken cancellationToken = default) =>
        GetKeywordGuard(KeywordGuardSpec.Parse(spec), cancellationToken);

    /// <inheritdoc cref="GetKeywordGuard(string, CancellationToken)"/>
    public static string GetKeywordGuard(KeywordGuardSpec spec, CancellationToken cancellationToken = default) =>
        GetKeywordGuard(spec, imitates: null, cancellationToken);

    /// <summary>
    /// The path of a keyword guard for <paramref name="spec"/> whose metadata names <paramref name="imitates"/> (a
    /// 1B- or 8B-like file: same weights and answers, that variant's prompts), built if needed.
    /// </summary>
    /// <exception cref="FormatException">The spec does not parse.</exception>
    /// <exception cref="KeywordGuardSpecException">A word has no single-token form.</exception>
    public static string GetKeywordGuard(string spec, GuardModelVariant imitates, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(imitates);
        return GetKeywordGuard(KeywordGuardSpec.Parse(spec), imitates, cancellationToken);
    }

    private static string GetKeywordGuard(KeywordGuardSpec spec, GuardModelVariant? imitates, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var vocabularyPath = SynthesisRuntime.DefaultVocabularyPath;

        // The variant joins the key only when there is one, so the files of guards that imitate none keep their names.
        var key = imitates is null ? $"keyword-guard|{spec}" : $"keyword-guard|{spec}|imitates:{imitates.Id}";
        return GetOrBuild("keyword-guard", key, vocabularyPath, path =>
        {
            var vocabulary = LlamaVocabularyMetadata.Load(vocabularyPath);
            using var tokenizer = SynthesisRuntime.OpenTokenizer(vocabularyPath, NullLoggerFactory.Instance);
            SyntheticModelBuilder.BuildKeywordGuard(path, spec, vocabulary, tokenizer, cancellationToken, imitates);
        });
    }

    /// <summary>The path of the scripted generator for <paramref name="script"/> (default: <see cref="ScriptedGeneratorScript.Default"/>), built if needed.</summary>
    /// <exception cref="KeywordGuardSpecException">The script cannot be wired.</exception>
    public static string GetScriptedGenerator(ScriptedGeneratorScript? script = null, CancellationToken cancellationToken = default)
    {
        script ??= ScriptedGeneratorScript.Default;
        var vocabularyPath = SynthesisRuntime.DefaultVocabularyPath;
        return GetOrBuild("scripted-generator", $"scripted-generator|{script}", vocabularyPath, path =>
        {
            var vocabulary = LlamaVocabularyMetadata.Load(vocabularyPath);
            using var tokenizer = SynthesisRuntime.OpenTokenizer(vocabularyPath, NullLoggerFactory.Instance);
            SyntheticModelBuilder.BuildScriptedGenerator(path, script, vocabulary, tokenizer, cancellationToken);
        });
    }

    /// <summary>The path of a random-weight model of a preset (<c>tiny</c>, <c>small</c>, <c>llama-guard-3-1b</c>, ...), built if needed.</summary>
    /// <param name="preset">A preset name.</param>
    /// <param name="quantization"><c>F16</c>, <c>Q8_0</c> or <c>Q4_K_M</c>.</param>
    /// <param name="seed">Seed of the random weights.</param>
    /// <param name="cancellationToken">Cancels a build in progress.</param>
    public static string GetRandom(string preset, string quantization = "F16", ulong seed = 0, CancellationToken cancellationToken = default)
    {
        var found = SynthPreset.Find(preset)
            ?? throw new ArgumentException($"Unknown preset '{preset}'; choose one of: {string.Join(", ", SynthPreset.All.Select(p => p.Name))}.", nameof(preset));
        if (!SynthQuantizationNames.TryParse(quantization, out var type))
        {
            throw new ArgumentException($"Unknown quantization '{quantization}'; choose F16, Q8_0 or Q4_K_M.", nameof(quantization));
        }

        return GetRandom(found, type, seed, cancellationToken);
    }

    internal static string GetRandom(SynthPreset preset, SynthQuantization quantization, ulong seed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(preset);
        var vocabularyPath = SynthesisRuntime.DefaultVocabularyPath;
        var name = string.Create(CultureInfo.InvariantCulture, $"{preset.Name}-{quantization}-seed{seed}").ToLowerInvariant();
        var key = string.Create(CultureInfo.InvariantCulture, $"random|{preset.Name}|{preset.Shape}|{quantization}|{seed}")
            + (preset.Imitates is { } imitates ? $"|imitates:{imitates.Id}" : string.Empty);
        return GetOrBuild(name, key, vocabularyPath, path =>
        {
            var vocabulary = LlamaVocabularyMetadata.Load(vocabularyPath);
            SyntheticModelBuilder.BuildRandom(
                path,
                preset,
                quantization,
                seed,
                vocabulary,
                (source, destination, type) => SynthesisRuntime.Quantize(source, destination, type, NullLoggerFactory.Instance),
                cancellationToken);
        });
    }

    /// <summary>The file name a build with these parameters gets: readable name, then the parameters' hash.</summary>
    internal static string FileNameFor(string name, string key, string vocabularyPath)
    {
        var info = new FileInfo(vocabularyPath);
        var vocabularyHash = VocabularyHashes.GetOrAdd(
            (info.FullName, info.Length, info.LastWriteTimeUtc),
            key => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(key.Path))));
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{BuilderVersion}|{key}|vocab:{vocabularyHash}"));
        return $"{name}-{Convert.ToHexStringLower(hash)[..16]}.gguf";
    }

    private static string GetOrBuild(string name, string key, string vocabularyPath, Action<string> build)
    {
        if (!File.Exists(vocabularyPath))
        {
            throw new FileNotFoundException(
                $"The Llama 3 vocabulary '{vocabularyPath}' is missing; run {NativeRuntimeLocator.InstallScript} from the repository root.",
                vocabularyPath);
        }

        var path = Path.Combine(ModelsDirectory, FileNameFor(name, key, vocabularyPath));

        // One build per file per process; across processes the atomic rename makes a concurrent build merely wasted work.
        var lazy = Builds.GetOrAdd(path, p => new Lazy<string>(() =>
        {
            if (!File.Exists(p))
            {
                build(p);
            }

            return p;
        }, LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // A failed or cancelled build must not poison later attempts.
            Builds.TryRemove(new KeyValuePair<string, Lazy<string>>(path, lazy));
            throw;
        }
    }
}
