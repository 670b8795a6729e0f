using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Guardrail.LlamaCpp.Native;

/// <summary>
/// Loads and starts the llama.cpp runtime once per process. Call <see cref="Initialize"/> at start-up, before any
/// model is loaded: it checks the files, the release and the exports first, so that a missing or mismatched runtime
/// is a clear error instead of a crash, and it is safe to call again (a failed attempt can be retried).
/// </summary>
public static partial class NativeRuntime
{
    /// <summary>The llama.cpp release whose structs this binding mirrors.</summary>
    public const string LlamaCppRelease = "v0.5.0";

    /// <summary>The node-llama-cpp package version that ships that release.</summary>
    public const string PackageVersion = "3.22.1";

    private const string ManifestFile = "MANIFEST";
    private const string CudaBackendFile = "libggml-cuda.so";

    // libggml-cuda.so of node-llama-cpp 3.22.1 is built against CUDA 13 and links these.
    private static readonly string[] CudaLibraries = ["libcudart.so.13", "libcublas.so.13", "libcuda.so.1"];

    private static readonly Lock Gate = new();
    private static NativeRuntimeInfo? _current;

    /// <summary>The loaded runtime, or null before a successful <see cref="Initialize"/>.</summary>
    public static NativeRuntimeInfo? Current => Volatile.Read(ref _current);

    /// <summary>
    /// Locates, checks and starts the runtime. Idempotent and thread-safe: later calls that resolve to the same
    /// directory return the first result.
    /// </summary>
    /// <exception cref="NativeRuntimeException">The runtime is missing, incomplete, of another release, or a required GPU is unavailable.</exception>
    /// <exception cref="InvalidOperationException">The process already runs a runtime from another directory.</exception>
    public static NativeRuntimeInfo Initialize(NativeRuntimeOptions options, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        lock (Gate)
        {
            var logger = loggerFactory.CreateLogger(typeof(NativeRuntime).FullName!);
            var wantGpu = options.UseGpu || options.RequireGpu;
            // Checked even when already initialised, so a wrong path is reported as such and not as a second runtime.
            var directory = ChooseDirectory(options, wantGpu, logger);
            ValidateDirectory(directory, wantGpu, logger);
            if (_current is { } current)
            {
                if (!PathsEqual(directory, current.RuntimeDirectory))
                {
                    throw new InvalidOperationException(
                        $"The llama.cpp runtime is already loaded from '{current.RuntimeDirectory}'; a process can load only one runtime, so '{directory}' cannot be used.");
                }

                if (options.RequireGpu && !current.GpuAvailable)
                {
                    throw new NativeRuntimeException(
                        $"A GPU is required but the runtime already loaded from '{current.RuntimeDirectory}' has no GPU device.");
                }

                return current;
            }

            var bound = NativeLibraryResolver.Directory;
            if (bound is not null && !PathsEqual(bound, directory))
            {
                throw new InvalidOperationException(
                    $"The llama.cpp libraries were already bound to '{bound}' by an earlier attempt; '{directory}' cannot be used in this process.");
            }

            var handles = LoadLibraries(directory);
            CheckExports(directory, handles);
            NativeLibraryResolver.Register(directory, handles);
            if (options.ForwardNativeLogs)
            {
                LlamaLogBridge.Install(loggerFactory);
            }

            LlamaNative.llama_backend_init();
            GgmlNative.ggml_backend_load_all_from_path(directory);
            var devices = EnumerateDevices();
            if (!devices.Any(d => string.Equals(d.Kind, nameof(GgmlBackendDeviceType.Cpu), StringComparison.Ordinal)))
            {
                throw new NativeRuntimeException(
                    $"No CPU backend could be loaded from '{directory}' (no libggml-cpu-*.so matched this CPU). Reinstall with {NativeRuntimeLocator.InstallScript}.");
            }

            var gpu = devices.Any(d => d.Kind is nameof(GgmlBackendDeviceType.Gpu) or nameof(GgmlBackendDeviceType.IntegratedGpu));
            if (wantGpu && !gpu)
            {
                if (options.RequireGpu)
                {
                    throw new NativeRuntimeException(
                        $"A GPU is required but no GPU device was found by the runtime in '{directory}' (is the NVIDIA driver loaded? is libggml-cuda.so present?).");
                }

                Log.NoGpuDevice(logger, directory);
            }

            var info = new NativeRuntimeInfo
            {
                RuntimeDirectory = directory,
                LlamaCppRelease = LlamaCppRelease,
                PackageVersion = PackageVersion,
                GpuAvailable = gpu,
                Devices = devices,
                SystemInfo = Marshal.PtrToStringUTF8(LlamaNative.llama_print_system_info())?.Trim() ?? string.Empty,
            };
            Log.Initialized(logger, directory, LlamaCppRelease, string.Join(", ", devices.Select(d => d.Name)));
            Volatile.Write(ref _current, info);
            return info;
        }
    }

    /// <summary>Returns the loaded runtime or throws the error that tells the caller to initialise it.</summary>
    internal static NativeRuntimeInfo EnsureInitialized() =>
        Current ?? throw new InvalidOperationException(
            "The llama.cpp runtime is not initialised. Call NativeRuntime.Initialize(options, loggerFactory) at start-up before loading a model.");

    private static string ChooseDirectory(NativeRuntimeOptions options, bool wantGpu, ILogger logger)
    {
        var cpu = options.RuntimeDirectory is null ? NativeRuntimeLocator.RuntimeDirectory(gpu: false) : Path.GetFullPath(options.RuntimeDirectory);
        if (!wantGpu)
        {
            return cpu;
        }

        var gpuDirectory = options.RuntimeDirectory is null ? NativeRuntimeLocator.RuntimeDirectory(gpu: true) : cpu;
        var missing = MissingGpuLibraries(gpuDirectory);
        if (missing.Count == 0)
        {
            return gpuDirectory;
        }

        var list = string.Join(", ", missing);
        if (options.RequireGpu)
        {
            throw new NativeRuntimeException(
                $"A GPU is required but the CUDA runtime in '{gpuDirectory}' cannot be used; missing: {list}. " +
                $"Install it with '{NativeRuntimeLocator.InstallScript} --cuda' and make sure the NVIDIA driver and CUDA 13 libraries are installed.");
        }

        Log.GpuFallback(logger, gpuDirectory, list, cpu);
        return cpu;
    }

    private static List<string> MissingGpuLibraries(string directory)
    {
        var missing = new List<string>();
        if (!File.Exists(Path.Combine(directory, CudaBackendFile)))
        {
            missing.Add(Path.Combine(directory, CudaBackendFile));
            return missing;
        }

        foreach (var library in CudaLibraries)
        {
            var local = Path.Combine(directory, library);
            if (File.Exists(local))
            {
                continue;
            }

            if (NativeLibrary.TryLoad(library, out var handle))
            {
                NativeLibrary.Free(handle);
            }
            else
            {
                missing.Add(library);
            }
        }

        return missing;
    }

    private static void ValidateDirectory(string directory, bool gpu, ILogger logger)
    {
        var fix = $"Run '{NativeRuntimeLocator.InstallScript}{(gpu ? " --cuda" : string.Empty)}' from the repository root, or set {NativeRuntimeLocator.RuntimeDirVariable} to a directory holding {NativeLibraryResolver.LlamaFile} (node-llama-cpp {PackageVersion}).";
        if (!System.IO.Directory.Exists(directory))
        {
            throw new NativeRuntimeException($"The llama.cpp runtime directory '{directory}' does not exist. {fix}");
        }

        var problems = new List<string>();
        foreach (var (library, names) in NativeLibraryResolver.Candidates)
        {
            if (NativeLibraryResolver.FindFile(directory, library) is null)
            {
                problems.Add($"{string.Join(" or ", names)} is missing");
            }
        }

        var otherReleases = System.IO.Directory.GetFiles(directory, "libllama.*v*.so")
            .Select(path => Path.GetFileName(path))
            .Where(f => !NativeLibraryResolver.IsKnownFile(f))
            .ToList();
        if (otherReleases.Count > 0)
        {
            problems.Add($"found {string.Join(", ", otherReleases)}, a different llama.cpp release (this build needs {LlamaCppRelease})");
        }

        if (System.IO.Directory.GetFiles(directory, "libggml-cpu*.so").Length == 0)
        {
            problems.Add("no CPU backend (libggml-cpu-*.so)");
        }

        var manifest = Path.Combine(directory, ManifestFile);
        if (File.Exists(manifest))
        {
            var text = File.ReadAllText(manifest);
            if (!text.Contains($"version={PackageVersion}", StringComparison.Ordinal) || !text.Contains($"llama.cpp={LlamaCppRelease}", StringComparison.Ordinal))
            {
                problems.Add($"{ManifestFile} says '{text.Trim()}' but node-llama-cpp {PackageVersion} (llama.cpp {LlamaCppRelease}) is required");
            }
        }
        else
        {
            Log.ManifestMissing(logger, directory);
        }

        if (problems.Count > 0)
        {
            throw new NativeRuntimeException($"The llama.cpp runtime in '{directory}' is not usable: {string.Join("; ", problems)}. {fix}");
        }
    }

    private static Dictionary<string, nint> LoadLibraries(string directory)
    {
        var handles = new Dictionary<string, nint>(StringComparer.Ordinal);
        // Dependencies first, so that a failure names the library that is really broken.
        foreach (var name in new[] { GgmlNative.BaseLibrary, GgmlNative.Library, LlamaNative.Library })
        {
            var path = NativeLibraryResolver.FindFile(directory, name)!;
            try
            {
                handles[name] = NativeLibrary.Load(path);
            }
            catch (Exception ex) when (ex is DllNotFoundException or BadImageFormatException)
            {
                throw new NativeRuntimeException(
                    $"'{path}' could not be loaded: {ex.Message}. Reinstall the runtime with '{NativeRuntimeLocator.InstallScript}'.", ex);
            }
        }

        return handles;
    }

    private static void CheckExports(string directory, Dictionary<string, nint> handles)
    {
        var missing = new List<string>();
        void Check(string library, IEnumerable<string> exports)
        {
            foreach (var export in exports)
            {
                if (!NativeLibrary.TryGetExport(handles[library], export, out _))
                {
                    missing.Add($"{Path.GetFileName(NativeLibraryResolver.FindFile(directory, library))}:{export}");
                }
            }
        }

        Check(LlamaNative.Library, LlamaNative.RequiredExports);
        Check(GgmlNative.Library, GgmlNative.RequiredExports);
        Check(GgmlNative.BaseLibrary, GgmlNative.RequiredBaseExports);
        if (missing.Count > 0)
        {
            throw new NativeRuntimeException(
                $"The libraries in '{directory}' are not llama.cpp {LlamaCppRelease}: missing exports {string.Join(", ", missing)}. " +
                $"Reinstall node-llama-cpp {PackageVersion} with '{NativeRuntimeLocator.InstallScript}'.");
        }
    }

    private static unsafe List<NativeDevice> EnumerateDevices()
    {
        var devices = new List<NativeDevice>();
        var count = GgmlNative.ggml_backend_dev_count();
        for (nuint i = 0; i < count; i++)
        {
            var device = GgmlNative.ggml_backend_dev_get(i);
            if (device == 0)
            {
                continue;
            }

            nuint free = 0, total = 0;
            GgmlNative.ggml_backend_dev_memory(device, &free, &total);
            var kind = GgmlNative.ggml_backend_dev_type(device);
            devices.Add(new NativeDevice(
                Marshal.PtrToStringUTF8((nint)GgmlNative.ggml_backend_dev_name(device)) ?? string.Empty,
                Marshal.PtrToStringUTF8((nint)GgmlNative.ggml_backend_dev_description(device)) ?? string.Empty,
                Enum.IsDefined(kind) ? kind.ToString() : ((int)kind).ToString(CultureInfo.InvariantCulture),
                free,
                total));
        }

        return devices;
    }

    private static bool PathsEqual(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(a), Path.TrimEndingDirectorySeparator(b), StringComparison.Ordinal);

    private static partial class Log
    {
        [LoggerMessage(EventId = LlamaCppEventIds.RuntimeLoaded, Level = LogLevel.Information, Message = "llama.cpp runtime {Release} loaded from {Directory}; devices: {Devices}")]
        public static partial void Initialized(ILogger logger, string directory, string release, string devices);

        [LoggerMessage(EventId = LlamaCppEventIds.GpuRuntimeUnusable, Level = LogLevel.Warning, Message = "GPU requested but the CUDA runtime in {GpuDirectory} cannot be used (missing: {Missing}); falling back to the CPU runtime in {CpuDirectory}")]
        public static partial void GpuFallback(ILogger logger, string gpuDirectory, string missing, string cpuDirectory);

        [LoggerMessage(EventId = LlamaCppEventIds.RuntimeManifestMissing, Level = LogLevel.Warning, Message = "No MANIFEST in {Directory}; the package version cannot be confirmed (the library file names still pin the llama.cpp release)")]
        public static partial void ManifestMissing(ILogger logger, string directory);

        [LoggerMessage(EventId = LlamaCppEventIds.NoGpuDevice, Level = LogLevel.Warning, Message = "GPU requested but the runtime in {Directory} found no GPU device; running on CPU")]
        public static partial void NoGpuDevice(ILogger logger, string directory);
    }
}
