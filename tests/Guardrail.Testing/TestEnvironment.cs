using Guardrail.LlamaCpp.Native;

namespace Guardrail.Testing;

/// <summary>
/// Points the products at the checkout's cache (<c>.cache/</c>, where <c>scripts/native-runtime.sh</c> installs the
/// llama.cpp runtime and where synthesized models are kept) unless <c>GUARDRAIL_CACHE_DIR</c> already names one.
/// Every test assembly calls <see cref="Initialize"/> from a module initializer (tests/Shared/TestModuleInitializer.cs),
/// so the variable is set before any test runs, whichever way the tests are started.
/// </summary>
public static class TestEnvironment
{
    /// <summary>Sets <c>GUARDRAIL_CACHE_DIR</c> to the checkout's <c>.cache</c> folder when it is unset. Idempotent.</summary>
    public static void Initialize()
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(NativeRuntimeLocator.CacheDirVariable)))
        {
            Environment.SetEnvironmentVariable(NativeRuntimeLocator.CacheDirVariable, RepositoryRoot.Combine(".cache"));
        }
    }
}
