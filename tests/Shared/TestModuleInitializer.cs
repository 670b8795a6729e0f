using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Guardrail.Testing;

/// <summary>Runs before any test of the assembly it is compiled into (every test project links this file).</summary>
internal static class TestModuleInitializer
{
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries", Justification = "A test assembly: the environment must be set before any test touches the products.")]
    internal static void Initialize() => TestEnvironment.Initialize();
}
