using Guardrail.LlamaCpp.Native;
using Guardrail.ModelSynthesis;
using Xunit;

namespace Guardrail.Testing;

/// <summary>Paths to what scripts/native-runtime.sh installs; a missing file fails the test with the fix.</summary>
public static class TestAssets
{
    public static string VocabGguf => Require(Path.Combine(NativeRuntimeLocator.VocabDirectory(), "ggml-vocab-llama-bpe.gguf"));

    public static string VocabInputs => Require(Path.Combine(NativeRuntimeLocator.VocabDirectory(), "ggml-vocab-llama-bpe.gguf.inp"));

    public static string VocabOutputs => Require(Path.Combine(NativeRuntimeLocator.VocabDirectory(), "ggml-vocab-llama-bpe.gguf.out"));

    public static string IncludeDirectory => Require(Path.Combine(NativeRuntimeLocator.LlamaCacheDirectory(), "include"));

    public static string CpuRuntimeDirectory => Require(NativeRuntimeLocator.RuntimeDirectory(gpu: false));

    /// <summary>The hand-weighted generator that answers fixed sentences (built on first use into the synthetic cache).</summary>
    public static class ScriptedGenerator
    {
        /// <summary>The GGUF file.</summary>
        public static string Path => SyntheticModelCache.GetScriptedGenerator();

        /// <summary>What greedy decoding answers to any prompt without <see cref="TriggerWord"/>.</summary>
        public static string Answer => ScriptedGeneratorScript.Default.Answer;

        /// <summary>A word (not one the test keyword guard flags) that switches the answer to <see cref="FlaggedAnswer"/>.</summary>
        public static string TriggerWord => ScriptedGeneratorScript.Default.TriggerWord;

        /// <summary>The answer to a prompt with the trigger word: it holds <see cref="FlaggedWord"/>.</summary>
        public static string FlaggedAnswer => ScriptedGeneratorScript.Default.FlaggedAnswer;

        /// <summary>The word of <see cref="FlaggedAnswer"/> that the keyword guard <see cref="KeywordGuardSpec"/> flags.</summary>
        public const string FlaggedWord = "bomb";

        /// <summary>The keyword guard spec whose guard flags <see cref="FlaggedAnswer"/> and passes the prompt.</summary>
        public const string KeywordGuardSpec = ScriptedGeneratorScript.MatchingKeywordGuard;
    }

    private static string Require(string path)
    {
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            Assert.Fail($"'{path}' is missing. Run {NativeRuntimeLocator.InstallScript} from the repository root before the tests.");
        }

        return path;
    }
}
