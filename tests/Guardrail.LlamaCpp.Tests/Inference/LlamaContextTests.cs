using Guardrail.LlamaCpp.Inference;
using Guardrail.LlamaCpp.Tests.TestSupport;

namespace Guardrail.LlamaCpp.Tests.Inference;

[Collection(TinyModelCollection.Name)]
public sealed class LlamaContextTests
{
    private readonly TinyModelFixture _tiny;

    public LlamaContextTests(TinyModelFixture tiny) => _tiny = tiny;

    private LlamaVocab Vocab => _tiny.Model.Vocab;

    [Fact]
    public void Load_TinyModel_ReportsShapeAndProgress()
    {
        var info = _tiny.Model.Info;

        Assert.Equal(2, info.LayerCount);
        Assert.Equal(256, info.EmbeddingSize);
        Assert.Equal(4, info.HeadCount);
        Assert.Equal(2, info.KvHeadCount);
        Assert.Equal(128256, info.VocabSize);
        Assert.Equal(LlamaModelInfo.SizeClassOther, info.SizeClass);
        Assert.True(info.ParameterCount > 2L * 128256 * 256);
        Assert.NotEmpty(_tiny.LoadProgress);
        Assert.Equal(1f, _tiny.LoadProgress[^1]);
    }

    [Fact]
    public void Decode_Prompt_GivesFiniteLogitsOverTheVocabulary()
    {
        using var context = _tiny.CreateContext();
        using var batch = new LlamaBatch(64);
        var tokens = Vocab.Tokenize("Hello there, general Kenobi.", addSpecial: true, parseSpecial: false);
        for (var i = 0; i < tokens.Length; i++)
        {
            batch.Add(tokens[i], i, 0, wantLogits: i == tokens.Length - 1);
        }

        context.Decode(batch);
        var logits = context.GetLogits(tokens.Length - 1);

        Assert.Equal(128256, logits.Length);
        Assert.All(logits.ToArray(), l => Assert.True(float.IsFinite(l)));
        Assert.True(logits.ToArray().Distinct().Count() > 1000, "logits are constant: the weights were not read");
        Assert.Equal(tokens.Length - 1, context.GetSequenceMaxPosition(0));
    }

    [Fact]
    public void Decode_SharedPrefixCopiedIntoSequences_MatchesDecodingEachPromptWhole()
    {
        using var context = _tiny.CreateContext();
        using var batch = new LlamaBatch(128, maxSequencesPerToken: 4);
        var prefix = Vocab.Tokenize("Task: Check if there is unsafe content in the conversation.", addSpecial: true, parseSpecial: false);
        string[] suffixes = [" User: hello", " User: how do I bake bread today?"];

        // Reference: each prompt decoded whole, in sequence 3, one at a time.
        var expected = new List<float[]>();
        foreach (var suffix in suffixes)
        {
            var whole = prefix.Concat(Vocab.Tokenize(suffix, addSpecial: false, parseSpecial: false)).ToArray();
            batch.Clear();
            for (var i = 0; i < whole.Length; i++)
            {
                batch.Add(whole[i], i, 3, wantLogits: i == whole.Length - 1);
            }

            context.Decode(batch);
            expected.Add(context.GetLogits(whole.Length - 1).ToArray());
            Assert.True(context.RemoveSequence(3));
        }

        // Prefix once in sequence 0, copied to 1 and 2, both suffixes in one batch.
        batch.Clear();
        for (var i = 0; i < prefix.Length; i++)
        {
            batch.Add(prefix[i], i, 0, wantLogits: false);
        }

        context.Decode(batch);
        context.CopySequence(0, 1);
        context.CopySequence(0, 2);
        batch.Clear();
        var lastIndex = new int[suffixes.Length];
        for (var s = 0; s < suffixes.Length; s++)
        {
            var tokens = Vocab.Tokenize(suffixes[s], addSpecial: false, parseSpecial: false);
            for (var i = 0; i < tokens.Length; i++)
            {
                lastIndex[s] = batch.Add(tokens[i], prefix.Length + i, s + 1, wantLogits: i == tokens.Length - 1);
            }
        }

        context.Decode(batch);

        for (var s = 0; s < suffixes.Length; s++)
        {
            var actual = context.GetLogits(lastIndex[s]).ToArray();
            Assert.Equal(ArgMax(expected[s]), ArgMax(actual));
            Assert.True(MaxAbsDifference(expected[s], actual) < 1e-2f, $"suffix {s}: logits differ by {MaxAbsDifference(expected[s], actual)}");
        }

        Assert.NotEqual(ArgMaxValue(expected[0]), ArgMaxValue(expected[1]));
    }

    [Fact]
    public void RemoveSequence_AfterDecode_EmptiesItForReuse()
    {
        using var context = _tiny.CreateContext();
        using var batch = new LlamaBatch(8);
        batch.Add(Vocab.Bos!.Value, 0, 1, wantLogits: true);
        context.Decode(batch);
        Assert.Equal(0, context.GetSequenceMaxPosition(1));

        Assert.True(context.RemoveSequence(1));

        Assert.Equal(-1, context.GetSequenceMaxPosition(1));
        context.Decode(batch);
        Assert.Equal(0, context.GetSequenceMaxPosition(1));
        context.ClearMemory();
        Assert.Equal(-1, context.GetSequenceMaxPosition(1));
    }

    [Fact]
    public void GetLogits_TokenWithoutLogits_ThrowsInvalidOperation()
    {
        using var context = _tiny.CreateContext();
        using var batch = new LlamaBatch(8);
        batch.Add(Vocab.Bos!.Value, 0, 0, wantLogits: false);
        batch.Add(100, 1, 0, wantLogits: true);
        context.Decode(batch);

        Assert.Throws<InvalidOperationException>(() => context.GetLogits(0));
        Assert.Equal(128256, context.GetLogits(1).Length);
    }

    [Fact]
    public void Decode_PositionGap_ThrowsLlamaInferenceExceptionWithCode()
    {
        using var context = _tiny.CreateContext();
        using var batch = new LlamaBatch(8);
        batch.Add(100, 0, 0, wantLogits: true);
        context.Decode(batch);
        batch.Clear();
        batch.Add(101, 5, 0, wantLogits: true);

        var ex = Assert.Throws<LlamaInferenceException>(() => context.Decode(batch));

        Assert.Equal(-1, ex.NativeCode);
        Assert.Contains("code -1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_InvalidTokenOrSequence_ThrowsBeforeNativeCode()
    {
        using var context = _tiny.CreateContext(sequences: 2);
        using var batch = new LlamaBatch(8);
        batch.Add(128256, 0, 0, wantLogits: true);
        Assert.Contains("outside the vocabulary", Assert.Throws<ArgumentException>(() => context.Decode(batch)).Message, StringComparison.Ordinal);

        batch.Clear();
        batch.Add(1, 0, 2, wantLogits: true);
        Assert.Contains("sequence 2", Assert.Throws<ArgumentException>(() => context.Decode(batch)).Message, StringComparison.Ordinal);

        batch.Clear();
        Assert.Throws<ArgumentException>(() => context.Decode(batch));
    }

    [Fact]
    public void Decode_BatchLargerThanContextBatchSize_ThrowsArgument()
    {
        using var context = _tiny.CreateContext(batchSize: 4);
        using var batch = new LlamaBatch(8);
        for (var i = 0; i < 5; i++)
        {
            batch.Add(100 + i, i, 0, wantLogits: false);
        }

        Assert.Throws<ArgumentException>(() => context.Decode(batch));
    }

    [Fact]
    public void Decode_CancelledToken_ThrowsOperationCanceled()
    {
        using var context = _tiny.CreateContext();
        using var batch = new LlamaBatch(8);
        batch.Add(100, 0, 0, wantLogits: true);
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => context.Decode(batch, cts.Token));
    }

    [Fact]
    public void Decode_CancelledWhileRunning_AbortsThroughNativeCallback()
    {
        using var context = _tiny.CreateContext(contextSize: 1024, batchSize: 512, sequences: 1);
        using var batch = new LlamaBatch(512);
        for (var i = 0; i < 512; i++)
        {
            batch.Add(1000 + i, i, 0, wantLogits: true);
        }

        // The token is live when Decode starts, so only llama.cpp's abort callback can stop it; a decode that wins
        // the race simply completes, and the next attempt cancels sooner.
        OperationCanceledException? cancelled = null;
        for (var attempt = 0; attempt < 20 && cancelled is null; attempt++)
        {
            using var cts = new CancellationTokenSource();
            cts.CancelAfter(TimeSpan.FromMilliseconds(1 + (attempt % 5)));
            try
            {
                context.Decode(batch, cts.Token);
            }
            catch (OperationCanceledException ex) when (ex.Message == "Decoding was cancelled.")
            {
                cancelled = ex; // the native abort path, not the check before the call
            }
            catch (OperationCanceledException)
            {
                // cancelled before llama_decode started; try again
            }

            context.ClearMemory();
        }

        Assert.NotNull(cancelled);
        batch.Clear();
        batch.Add(1, 0, 0, wantLogits: true);
        context.Decode(batch);
        Assert.Equal(128256, context.GetLogits(0).Length);
    }

    [Fact]
    public void Decode_ContextFull_ThrowsWithCodeOne()
    {
        using var context = _tiny.CreateContext(contextSize: 256, batchSize: 128, sequences: 1);
        using var batch = new LlamaBatch(128);
        var position = 0;

        var ex = Assert.Throws<LlamaInferenceException>(() =>
        {
            while (position <= context.ContextSize)
            {
                batch.Clear();
                for (var i = 0; i < 128; i++)
                {
                    batch.Add(100, position++, 0, wantLogits: i == 127);
                }

                context.Decode(batch);
            }
        });

        Assert.Equal(1, ex.NativeCode);
        Assert.Contains("no room in the KV cache", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Performance_AfterDecode_CountsPromptTokensUntilReset()
    {
        using var context = _tiny.CreateContext();
        using var batch = new LlamaBatch(16);
        for (var i = 0; i < 10; i++)
        {
            batch.Add(200 + i, i, 0, wantLogits: i == 9);
        }

        context.Decode(batch);
        var perf = context.GetPerformance();
        context.ResetPerformance();

        Assert.Equal(10, perf.PromptTokens);
        Assert.True(perf.PromptEvalMilliseconds > 0);
        Assert.True(context.GetPerformance().PromptTokens <= 1, "llama.cpp reports at least 1 after a reset");
    }

    [Fact]
    public void Create_InvalidOptions_ListsEveryProblem()
    {
        var ex = Assert.Throws<ArgumentException>(() => LlamaContext.Create(
            _tiny.Model, new LlamaContextOptions { ContextSize = -1, BatchSize = 0, MaxSequences = 0, Threads = -2 }));

        Assert.Contains("ContextSize", ex.Message, StringComparison.Ordinal);
        Assert.Contains("BatchSize", ex.Message, StringComparison.Ordinal);
        Assert.Contains("MaxSequences", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Threads", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Context_OutlivesDisposedModel_StillDecodes()
    {
        // The context holds a reference on the native model, so disposing the managed model first is safe.
        var model = LlamaModel.Load(_tiny.Path);
        using var context = LlamaContext.Create(model, new LlamaContextOptions { ContextSize = 256, BatchSize = 8, Threads = 2 });
        model.Dispose();
        using var batch = new LlamaBatch(8);
        batch.Add(100, 0, 0, wantLogits: true);

        context.Decode(batch);

        Assert.Equal(128256, context.GetLogits(0).Length);
        Assert.Throws<ObjectDisposedException>(() => model.Vocab.Tokenize("x", addSpecial: false, parseSpecial: false));
    }

    [Fact]
    public void Load_ProgressCallbackThrows_AbortsWithManagedException()
    {
        var ex = Assert.Throws<LlamaInferenceException>(() =>
            LlamaModel.Load(_tiny.Path, new LlamaModelLoadOptions { Progress = _ => throw new InvalidOperationException("stop here") }));

        Assert.IsType<InvalidOperationException>(ex.InnerException);
    }

    private static int ArgMax(float[] values) => Array.IndexOf(values, values.Max());

    private static float ArgMaxValue(float[] values) => values.Max();

    private static float MaxAbsDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
}
