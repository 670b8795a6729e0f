using Guardrail.LlamaCpp.Gguf;
using Guardrail.LlamaCpp.Inference;
using Guardrail.LlamaCpp.Native;

namespace Guardrail.Cli.Commands;

/// <summary>
/// What a command that loads a model reports as one line on standard error rather than as a crash: a runtime, model
/// file or inference that cannot be used, a bad argument, an unreadable file.
/// </summary>
internal static class ModelLoadErrors
{
    public static bool AreReported(Exception e) =>
        e is NativeRuntimeException or GgufFormatException or LlamaInferenceException or ArgumentException or IOException;

    /// <summary>Runs <paramref name="run"/>; one of those errors becomes <c>error: …</c> and exit code 1.</summary>
    public static async Task<int> ReportAsync(TextWriter stderr, Func<Task<int>> run)
    {
        try
        {
            return await run();
        }
        catch (Exception e) when (AreReported(e))
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
    }
}
