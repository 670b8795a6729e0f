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

    private static readonly Lock Gate = new();
    private static string? _directory;
    private static Dictionary<string, nint>? _handles;

    /// <summary>The directory the bindings resolve to, or null before registration.</summary>
    public static string? Directory => Volatile.Read(ref _directory);

    /// <summary>Library name to file name for each binding library.</summary>
    public static IReadOnlyDictionary<string, string> Files { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [LlamaNative.Library] = LlamaFile,
        [GgmlNative.Library] = GgmlFile,
        [GgmlNative.BaseLibrary] = GgmlBaseFile,
    };

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
