namespace Guardrail.LlamaCpp.Native;

/// <summary>What <see cref="NativeRuntime.Initialize"/> loaded.</summary>
public sealed record NativeRuntimeInfo
{
    /// <summary>The directory the libraries were loaded from.</summary>
    public required string RuntimeDirectory { get; init; }

    /// <summary>The llama.cpp release of the binding (v0.5.0).</summary>
    public required string LlamaCppRelease { get; init; }

    /// <summary>The node-llama-cpp package version the libraries come from (3.22.1).</summary>
    public required string PackageVersion { get; init; }

    /// <summary>True when a GPU device was found and layers can be offloaded to it.</summary>
    public required bool GpuAvailable { get; init; }

    /// <summary>Compute devices ggml registered (CPU first, then accelerators).</summary>
    public required IReadOnlyList<NativeDevice> Devices { get; init; }

    /// <summary>llama.cpp's system summary (CPU features in use).</summary>
    public required string SystemInfo { get; init; }
}

/// <summary>One ggml compute device.</summary>
/// <param name="Name">Backend device name, for example <c>CPU</c> or <c>CUDA0</c>.</param>
/// <param name="Description">Human-readable description (CPU model, GPU name).</param>
/// <param name="Kind">Cpu, Gpu, IntegratedGpu, Accelerator or Meta.</param>
/// <param name="FreeMemoryBytes">Free device memory in bytes as reported by the backend.</param>
/// <param name="TotalMemoryBytes">Total device memory in bytes.</param>
public sealed record NativeDevice(string Name, string Description, string Kind, ulong FreeMemoryBytes, ulong TotalMemoryBytes);
