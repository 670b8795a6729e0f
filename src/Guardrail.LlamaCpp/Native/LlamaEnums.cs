namespace Guardrail.LlamaCpp.Native;

// Mirrors of the enums of llama.h (llama.cpp v0.5.0) used in mirrored structs. C enums are int-sized.

internal enum LlamaSplitMode
{
    None = 0,
    Layer = 1,
    Row = 2,
    Tensor = 3,
}

internal enum LlamaLoadMode
{
    Auto = -1,
    None = 0,
    Mmap = 1,
    Mlock = 2,
    MmapMlock = 3,
    DirectIo = 4,
}

internal enum LlamaLazyMode
{
    Off = 0,
    Auto = 1,
    On = 2,
}

internal enum LlamaContextType
{
    Default = 0,
    Mtp = 1,
}

internal enum LlamaRopeScalingType
{
    Unspecified = -1,
    None = 0,
    Linear = 1,
    Yarn = 2,
    LongRope = 3,
}

internal enum LlamaPoolingType
{
    Unspecified = -1,
    None = 0,
    Mean = 1,
    Cls = 2,
    Last = 3,
    Rank = 4,
}

internal enum LlamaAttentionType
{
    Unspecified = -1,
    Causal = 0,
    NonCausal = 1,
}

internal enum LlamaFlashAttentionType
{
    Auto = -1,
    Disabled = 0,
    Enabled = 1,
}

internal enum LlamaVocabType
{
    None = 0,
    Spm = 1,
    Bpe = 2,
    Wpm = 3,
    Ugm = 4,
    Rwkv = 5,
    Plamo2 = 6,
    Test = 7,
}

/// <summary><c>enum ggml_log_level</c>.</summary>
internal enum GgmlLogLevel
{
    None = 0,
    Debug = 1,
    Info = 2,
    Warn = 3,
    Error = 4,
    Continue = 5,
}

/// <summary><c>enum ggml_backend_dev_type</c>.</summary>
internal enum GgmlBackendDeviceType
{
    Cpu = 0,
    Gpu = 1,
    IntegratedGpu = 2,
    Accelerator = 3,
    Meta = 4,
}
