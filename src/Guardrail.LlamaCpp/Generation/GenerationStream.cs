using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Guardrail.LlamaCpp.Generation;

/// <summary>
/// A running generation: text as it is released, then how it ended. The engine's worker never waits for the reader
/// (the channel is unbounded), so a slow client cannot stall the other sequences of the batch.
/// </summary>
public sealed class GenerationStream
{
    private readonly Channel<GenerationChunk> _chunks = Channel.CreateUnbounded<GenerationChunk>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource<GenerationFinish> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal GenerationStream(int promptTokens)
    {
        PromptTokens = promptTokens;
    }

    /// <summary>Tokens of the prompt.</summary>
    public int PromptTokens { get; }

    /// <summary>Released text, in order; completes when the generation ends (faulted if it failed).</summary>
    public ChannelReader<GenerationChunk> Chunks => _chunks.Reader;

    /// <summary>How the generation ended; completes after the last chunk and after its sequence was freed.</summary>
    public Task<GenerationFinish> Finished => _finished.Task;

    /// <summary>Every chunk until the end.</summary>
    public async IAsyncEnumerable<GenerationChunk> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var chunk in _chunks.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return chunk;
        }
    }

    internal void Write(GenerationChunk chunk) => _chunks.Writer.TryWrite(chunk);

    internal void Complete(GenerationFinish finish)
    {
        _chunks.Writer.TryComplete();
        _finished.TrySetResult(finish);
    }

    internal void Fail(Exception error)
    {
        _chunks.Writer.TryComplete(error);
        _finished.TrySetException(error);
    }
}
