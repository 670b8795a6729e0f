namespace Guardrail.LlamaCpp;

/// <summary>
/// Every log event id of this assembly (range 1000-1999; see <c>docs/operations.md</c>, "Log event ids"). A retired
/// id is never reused.
/// </summary>
internal static class LlamaCppEventIds
{
    // 1000-1099 the native runtime
    public const int RuntimeLoaded = 1000;
    public const int GpuRuntimeUnusable = 1001;
    public const int RuntimeManifestMissing = 1002;
    public const int NoGpuDevice = 1003;

    // 1100 llama.cpp's own log lines
    public const int NativeMessage = 1100;

    // 1200-1299 the Llama Guard engine
    public const int ClassifierLoaded = 1201;
    public const int ClassificationFailed = 1202;

    // 1300-1399 the generation engine
    public const int GeneratorLoaded = 1300;
    public const int GenerationFailed = 1301;
    public const int GenerationQueueFull = 1302;
    public const int GenerationAdmitted = 1303;
}
