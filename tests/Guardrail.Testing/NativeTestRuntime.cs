using Guardrail.LlamaCpp.Native;
using Xunit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Guardrail.Testing;

/// <summary>Starts the runtime installed by scripts/native-runtime.sh once for the whole test run.</summary>
public static class NativeTestRuntime
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
