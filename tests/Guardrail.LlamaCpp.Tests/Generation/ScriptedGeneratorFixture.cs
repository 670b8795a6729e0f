using Guardrail.LlamaCpp.Generation;
using Guardrail.LlamaCpp.Native;
using Microsoft.Extensions.Logging.Abstractions;

namespace Guardrail.LlamaCpp.Tests.Generation;

/// <summary>One engine over the scripted generator (4 sequences), shared by a test class: real llama.cpp inference whose text is known.</summary>
public sealed class ScriptedGeneratorFixture : IDisposable
{
    public ScriptedGeneratorFixture()
    {
        NativeTestRuntime.EnsureInitialized();
        Engine = GenerationEngine.Load(
            new GenerationEngineOptions { ModelPath = TestAssets.ScriptedGenerator.Path, GpuLayers = 0, ContextSize = 256, Parallel = 4, Threads = 2 },
            new NativeRuntimeOptions { ForwardNativeLogs = false },
            NullLoggerFactory.Instance);
    }

    public GenerationEngine Engine { get; }

    public void Dispose() => Engine.Dispose();
}

/// <summary>Reads a whole generation with a generous deadline (a hung engine fails the test instead of hanging it).</summary>
internal static class Generations
{
    public static readonly TimeSpan Deadline = VerdictAssert.CheckDeadline;

    public static async Task<(string Text, List<GenerationChunk> Chunks, GenerationFinish Finish)> ReadAsync(GenerationStream stream)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        var chunks = new List<GenerationChunk>();
        await foreach (var chunk in stream.ReadAllAsync(deadline.Token))
        {
            chunks.Add(chunk);
        }

        var finish = await stream.Finished.WaitAsync(deadline.Token);
        return (string.Concat(chunks.Select(c => c.Text)), chunks, finish);
    }

    public static GenerationRequest Chat(GenerationEngine engine, string user, int? maxTokens = null, IReadOnlyList<string>? stop = null, bool logprobs = false) => new()
    {
        PromptTokens = engine.TokenizeChat([new ChatMessage(ChatRole.User, user)]),
        MaxTokens = maxTokens,
        Sampling = new SamplingOptions { Temperature = 0 },
        Stop = stop ?? [],
        Logprobs = logprobs,
        TopLogprobs = logprobs ? 2 : 0,
    };
}
