namespace Guardrail.LlamaCpp.Native;

/// <summary>
/// Finds the llama.cpp runtime and the Llama 3 vocabulary installed by <c>scripts/native-runtime.sh</c>, in this
/// order: the directory configured (<see cref="NativeRuntimeOptions.RuntimeDirectory"/>, checked by the caller), the
/// <c>GUARDRAIL_LLAMA_RUNTIME_DIR</c> environment variable, <c>$GUARDRAIL_CACHE_DIR/llama</c> when that variable is set
/// (the two commands set it to the checkout's <c>.cache</c>), <c>llama/</c> beside the application (where the build
/// and the container image put it), and the user's cache <c>~/.cache/guardrail/llama</c> (or under
/// <c>$XDG_CACHE_HOME</c>). It never looks for a source checkout: a deployed gateway has none.
/// </summary>
public static class NativeRuntimeLocator
{
    public const string RuntimeDirVariable = "GUARDRAIL_LLAMA_RUNTIME_DIR";
    public const string CacheDirVariable = "GUARDRAIL_CACHE_DIR";
    public const string InstallScript = "scripts/native-runtime.sh";

    /// <summary>The runtime directory to try for the given flavour; the directory may not exist.</summary>
    /// <param name="gpu">True for the CUDA build (<c>runtime/cuda</c>), false for the CPU build.</param>
    public static string RuntimeDirectory(bool gpu)
    {
        var overridden = Environment.GetEnvironmentVariable(RuntimeDirVariable);
        return !string.IsNullOrWhiteSpace(overridden)
            ? Path.GetFullPath(overridden)
            : Path.Combine(LlamaCacheDirectory(), "runtime", gpu ? "cuda" : "cpu");
    }

    /// <summary>
    /// The cache root: <c>GUARDRAIL_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/guardrail</c>, else
    /// <c>~/.cache/guardrail</c>. It holds <c>llama/</c> (runtime, vocabulary, headers) and downloaded models.
    /// </summary>
    public static string CacheDirectory()
    {
        if (ConfiguredCacheDirectory() is { } cache)
        {
            return cache;
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var baseDirectory = !string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(baseDirectory, "guardrail");
    }

    /// <summary>
    /// The folder holding <c>runtime/</c>, <c>vocab/</c> and <c>include/</c>: <c>$GUARDRAIL_CACHE_DIR/llama</c> when
    /// that variable is set, else <c>llama/</c> beside the application when the build or image put one there, else
    /// <c>&lt;user cache&gt;/llama</c>.
    /// </summary>
    public static string LlamaCacheDirectory()
    {
        if (ConfiguredCacheDirectory() is null)
        {
            var besideApp = Path.Combine(AppContext.BaseDirectory, "llama");
            if (Directory.Exists(besideApp))
            {
                return besideApp;
            }
        }

        return Path.Combine(CacheDirectory(), "llama");
    }

    /// <summary><c>&lt;cache&gt;/llama/vocab</c>: the Llama 3 vocab-only GGUF and its tokenizer test vectors.</summary>
    public static string VocabDirectory() => Path.Combine(LlamaCacheDirectory(), "vocab");

    private static string? ConfiguredCacheDirectory()
    {
        var cache = Environment.GetEnvironmentVariable(CacheDirVariable);
        return string.IsNullOrWhiteSpace(cache) ? null : Path.GetFullPath(cache);
    }
}
