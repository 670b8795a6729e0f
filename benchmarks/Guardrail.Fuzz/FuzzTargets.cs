namespace Guardrail.Fuzz;

/// <summary>
/// The fuzz targets by name. A target takes one input and returns when the code under test behaved as documented: a
/// result, or one of the parser's own error types. Anything else it lets escape (an unexpected exception, or
/// <see cref="FuzzFindingException"/> for a broken invariant) is a crash to afl-fuzz; a hang is afl's timeout.
/// </summary>
internal static class FuzzTargets
{
    private static readonly Dictionary<string, Action<byte[]>> Targets = new(StringComparer.Ordinal)
    {
        ["openai-request"] = OpenAIRequestTarget.Run,
        ["sse"] = SseTarget.Run,
        ["response"] = ResponseTarget.Run,
        ["policy"] = PolicyTarget.Run,
        ["taxonomy"] = TaxonomyTarget.Run,
        ["gguf"] = GgufTarget.Run,
    };

    public static IEnumerable<string> Names => Targets.Keys;

    public static Action<byte[]>? Find(string name) =>
        Targets.TryGetValue(name, out var target) ? input => AllocationGuard.Run(input, target) : null;
}

/// <summary>A target's invariant does not hold for an input: a finding, like an unexpected exception.</summary>
internal sealed class FuzzFindingException : Exception
{
    public FuzzFindingException(string message)
        : base(message)
    {
    }

    public FuzzFindingException()
    {
    }

    public FuzzFindingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Makes unbounded allocation a finding: one input may allocate a fixed allowance plus a multiple of its own size,
/// no more (fuzz.sh also caps the whole GC heap, which turns a runaway allocation into an OutOfMemoryException).
/// </summary>
internal static class AllocationGuard
{
    private const long FixedAllowance = 64L * 1024 * 1024;
    private const long PerInputByte = 512;

    public static void Run(byte[] input, Action<byte[]> target)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        target(input);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var allowance = FixedAllowance + (PerInputByte * input.Length);
        if (allocated > allowance)
        {
            throw new FuzzFindingException($"{input.Length} input bytes allocated {allocated} bytes (allowance {allowance}).");
        }
    }
}
