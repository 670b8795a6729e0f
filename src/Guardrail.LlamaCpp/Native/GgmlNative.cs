using System.Runtime.InteropServices;

namespace Guardrail.LlamaCpp.Native;

/// <summary>
/// The ggml backend registry: libggml.v0.5.0.so (backend loading, device list) and libggml-base.so (device
/// properties, type geometry). Resolved like <see cref="LlamaNative"/>.
/// </summary>
internal static unsafe partial class GgmlNative
{
    public const string Library = "ggml";
    public const string BaseLibrary = "ggml-base";

    public static readonly IReadOnlyList<string> RequiredExports =
    [
        "ggml_backend_load_all_from_path", "ggml_backend_dev_count", "ggml_backend_dev_get",
    ];

    public static readonly IReadOnlyList<string> RequiredBaseExports =
    [
        "ggml_backend_dev_name", "ggml_backend_dev_description", "ggml_backend_dev_type", "ggml_backend_dev_memory",
        "ggml_type_size", "ggml_blck_size",
    ];

    /// <summary>Loads every backend library (CPU variants, CUDA, ...) found in <paramref name="directory"/>.</summary>
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void ggml_backend_load_all_from_path(string directory);

    [LibraryImport(Library)]
    public static partial nuint ggml_backend_dev_count();

    [LibraryImport(Library)]
    public static partial nint ggml_backend_dev_get(nuint index);

    [LibraryImport(BaseLibrary)]
    public static partial byte* ggml_backend_dev_name(nint device);

    [LibraryImport(BaseLibrary)]
    public static partial byte* ggml_backend_dev_description(nint device);

    [LibraryImport(BaseLibrary)]
    public static partial GgmlBackendDeviceType ggml_backend_dev_type(nint device);

    [LibraryImport(BaseLibrary)]
    public static partial void ggml_backend_dev_memory(nint device, nuint* free, nuint* total);

    [LibraryImport(BaseLibrary)]
    public static partial nuint ggml_type_size(Gguf.GgmlType type);

    [LibraryImport(BaseLibrary)]
    public static partial long ggml_blck_size(Gguf.GgmlType type);
}
