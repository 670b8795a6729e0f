using System.CommandLine;

namespace Guardrail.Cli.Commands;

/// <summary>The llama.cpp options every command that loads a model takes, spelled and described once.</summary>
internal static class EngineOptions
{
    /// <summary><c>--threads</c>: CPU threads, 0 for every core.</summary>
    public static Option<int> Threads(int byDefault = 0) =>
        new("--threads") { Description = "CPU threads (0: all cores).", DefaultValueFactory = _ => byDefault };

    /// <summary><c>--gpu-layers</c>: layers offloaded to the GPU, -1 all, 0 none.</summary>
    public static Option<int> GpuLayers(int byDefault) =>
        new("--gpu-layers") { Description = $"Layers on the GPU (-1 all, 0 none; default {byDefault}).", DefaultValueFactory = _ => byDefault };
}
