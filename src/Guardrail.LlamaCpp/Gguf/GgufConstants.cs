namespace Guardrail.LlamaCpp.Gguf;

/// <summary>Fixed values of the GGUF container format shared by the reader and the writer.</summary>
internal static class GgufConstants
{
    /// <summary>"GGUF" read as a little-endian uint32.</summary>
    public const uint Magic = 0x46554747;

    /// <summary>The version written by current llama.cpp; version 2 has the same layout and is also read.</summary>
    public const uint Version = 3;

    public const uint MinReadableVersion = 2;

    /// <summary>Tensor data alignment when <c>general.alignment</c> is absent.</summary>
    public const uint DefaultAlignment = 32;

    public const string AlignmentKey = "general.alignment";

    public const string ArchitectureKey = "general.architecture";

    /// <summary>ggml tensors have at most four dimensions.</summary>
    public const int MaxDimensions = 4;

    /// <summary>Returns <paramref name="offset"/> rounded up to a multiple of <paramref name="alignment"/>.</summary>
    public static long Align(long offset, uint alignment) => (offset + alignment - 1) / alignment * alignment;
}
