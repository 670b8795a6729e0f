namespace Guardrail.LlamaCpp.Native;

/// <summary>
/// Finds the llama.cpp runtime installed by <c>scripts/native-runtime.sh</c>: the directory named by
/// <c>GUARDRAIL_LLAMA_RUNTIME_DIR</c>, else <c>.cache/llama/runtime/{cpu|cuda}</c> under the cache root
/// (<c>GUARDRAIL_CACHE_DIR</c>, else the <c>.cache</c> folder beside <c>Guardrail.sln</c> found by walking up from the
/// application's base directory).
/// </summary>
internal static class NativeRuntimeLocator
{
    public const string RuntimeDirVariable = "GUARDRAIL_LLAMA_RUNTIME_DIR";
    public const string CacheDirVariable = "GUARDRAIL_CACHE_DIR";
    public const string InstallScript = "scripts/native-runtime.sh";
    public const string SolutionFile = "Guardrail.sln";

    /// <summary>The runtime directory to try for the given flavour; the directory may not exist.</summary>
    /// <param name="gpu">True for the CUDA build (<c>runtime/cuda</c>), false for the CPU build.</param>
    public static string RuntimeDirectory(bool gpu)
    {
        var overridden = Environment.GetEnvironmentVariable(RuntimeDirVariable);
        if (!string.IsNullOrWhiteSpace(overridden))
        {
            return Path.GetFullPath(overridden);
        }

        return Path.Combine(LlamaCacheDirectory(), "runtime", gpu ? "cuda" : "cpu");
    }

    /// <summary><c>&lt;cache&gt;/llama</c>: holds <c>runtime/</c>, <c>vocab/</c> and <c>include/</c>.</summary>
    public static string LlamaCacheDirectory()
    {
        var cache = Environment.GetEnvironmentVariable(CacheDirVariable);
        if (!string.IsNullOrWhiteSpace(cache))
        {
            return Path.Combine(Path.GetFullPath(cache), "llama");
        }

        var root = FindRepositoryRoot(AppContext.BaseDirectory);
        // Outside a source checkout (a published app) the cache sits beside the binaries.
        return Path.Combine(root ?? AppContext.BaseDirectory, ".cache", "llama");
    }

    /// <summary><c>&lt;cache&gt;/llama/vocab</c>: the Llama 3 vocab-only GGUF and its tokenizer test vectors.</summary>
    public static string VocabDirectory() => Path.Combine(LlamaCacheDirectory(), "vocab");

    /// <summary>The nearest directory at or above <paramref name="start"/> that holds Guardrail.sln, or null.</summary>
    public static string? FindRepositoryRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, SolutionFile)))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
