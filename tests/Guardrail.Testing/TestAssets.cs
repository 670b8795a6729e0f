using Guardrail.LlamaCpp.Native;
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

    private static string Require(string path)
    {
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            Assert.Fail($"'{path}' is missing. Run {NativeRuntimeLocator.InstallScript} from the repository root before the tests.");
        }

        return path;
    }
}
