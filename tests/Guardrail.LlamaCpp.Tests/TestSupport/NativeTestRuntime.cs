using Guardrail.LlamaCpp.Native;
using Microsoft.Extensions.Logging.Abstractions;

namespace Guardrail.LlamaCpp.Tests.TestSupport;

/// <summary>Starts the runtime installed by scripts/native-runtime.sh once for the whole test run.</summary>
internal static class NativeTestRuntime
{
    public static NativeRuntimeInfo EnsureInitialized()
    {
        try
        {
            return NativeRuntime.Initialize(new NativeRuntimeOptions { ForwardNativeLogs = false }, NullLoggerFactory.Instance);
        }
        catch (NativeRuntimeException ex)
        {
            Assert.Fail($"The llama.cpp runtime is not installed or not usable; run {NativeRuntimeLocator.InstallScript} first. {ex.Message}");
            throw;
        }
    }
}
