using System.Reflection;
using System.Runtime.InteropServices;

namespace Guardrail.LlamaCpp.Native;

/// <summary>
/// Maps the library names used in <see cref="LlamaNative"/> and <see cref="GgmlNative"/> to the versioned files of
/// one runtime directory. A process can only ever bind one runtime: the first directory registered wins.
/// </summary>
internal static class NativeLibraryResolver
{
    public const string LlamaFile = "libllama.v0.5.0.so";
    public const string GgmlFile = "libggml.v0.5.0.so";
    public const string GgmlBaseFile = "libggml-base.so";

    // The CUDA package names its builds of the same release differently (libllama.cuda.v0.5.0.so).
    public const string CudaLlamaFile = "libllama.cuda.v0.5.0.so";
    public const string CudaGgmlFile = "libggml.cuda.v0.5.0.so";

    private static readonly Lock Gate = new();
    private static string? _directory;
    private static Dictionary<string, nint>? _handles;

    /// <summary>The directory the bindings resolve to, or null before registration.</summary>
    public static string? Directory => Volatile.Read(ref _directory);

    /// <summary>Acceptable file names for each binding library, preferred first.</summary>
    public static IReadOnlyDictionary<string, string[]> Candidates { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        [LlamaNative.Library] = [LlamaFile, CudaLlamaFile],
        [GgmlNative.Library] = [GgmlFile, CudaGgmlFile],
        [GgmlNative.BaseLibrary] = [GgmlBaseFile],
    };

    /// <summary>The file in <paramref name="directory"/> that provides <paramref name="library"/>, or null.</summary>
    public static string? FindFile(string directory, string library) =>
        Candidates[library].Select(file => Path.Combine(directory, file)).FirstOrDefault(File.Exists);

    /// <summary>True for file names this binding can load (used to spot other releases).</summary>
    public static bool IsKnownFile(string fileName) =>
        Candidates.Values.Any(names => names.Contains(fileName, StringComparer.Ordinal));

    /// <summary>Registers the resolver for this assembly with already-loaded library handles.</summary>
    public static void Register(string directory, Dictionary<string, nint> handles)
    {
        lock (Gate)
        {
            if (_directory is not null)
            {
                return;
            }

            _handles = handles;
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);
            Volatile.Write(ref _directory, directory);
        }
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        var handles = _handles;
        return handles is not null && handles.TryGetValue(libraryName, out var handle) ? handle : 0;
    }
}
