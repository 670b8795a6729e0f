using System.Collections.Concurrent;
using System.Globalization;
using Guardrail.Classification;
using Guardrail.LlamaCpp.Inference;
using Guardrail.LlamaCpp.Native;
using Microsoft.Extensions.Logging;

namespace Guardrail.LlamaCpp.Classification;

/// <summary>
/// Llama Guard 3 in process: one model, one llama context, one dedicated worker thread that drains a bounded queue.
/// Native decoding cannot be awaited or interrupted like managed I/O, so it never runs on the thread pool; callers
/// await a completion instead. A full queue is refused at once (a classifier error the policy's <c>on_error</c>
/// decides), never waited on without end.
/// </summary>
/// <remarks>
/// The unsafe probability is read from the full softmax at the last prompt position; the category line is decoded
/// greedily only when the most likely first token is <c>unsafe</c>. Anything the model says that is not a
/// well-formed verdict becomes an error verdict, never <c>safe</c>.
/// </remarks>
public sealed partial class LlamaGuardClassifier : IGuardClassifier, IDisposable
{
    private readonly LlamaModel _model;
    private readonly LlamaContext _context;
    private readonly LlamaBatch _batch;
    private readonly LlamaGuardPromptTokenizer _promptTokenizer;
    private readonly LlamaGuardClassifierOptions _options;
    private readonly BlockingCollection<Work> _queue;
    private readonly Thread _worker;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _safeToken;
    private readonly int _unsafeToken;
    private int _disposed;

    private LlamaGuardClassifier(LlamaModel model, LlamaContext context, LlamaGuardClassifierOptions options, TimeProvider time, ILogger logger)
    {
        _model = model;
        _context = context;
        _options = options;
        _time = time;
        _logger = logger;
        _batch = new LlamaBatch(options.BatchSize);
        _promptTokenizer = new LlamaGuardPromptTokenizer(new LlamaVocabTokenizer(model.Vocab));
        _safeToken = model.Vocab.FindToken("safe") ?? throw new LlamaInferenceException($"'{model.Path}' has no 'safe' token: it is not a Llama 3 vocabulary, so it cannot be Llama Guard 3.");
        _unsafeToken = model.Vocab.FindToken("unsafe") ?? throw new LlamaInferenceException($"'{model.Path}' has no 'unsafe' token: it is not a Llama 3 vocabulary, so it cannot be Llama Guard 3.");
        _queue = new BlockingCollection<Work>(options.QueueCapacity);
        _worker = new Thread(RunWorker) { IsBackground = true, Name = "llama-guard-worker" };
        _worker.Start();
    }

    /// <summary>What was loaded: name, shape, size class (1B, 8B), parameter count.</summary>
    public string ModelName => _model.Info.Name;

    /// <summary>The loaded model's size class: <c>1B</c>, <c>8B</c> or <c>other</c> (S14 is known to 8B only).</summary>
    public string ModelSizeClass => _model.Info.SizeClass;

    /// <summary>Layer count, context length and parameter count of the loaded model, for logs and metrics.</summary>
    public string ModelDescription => string.Create(
        CultureInfo.InvariantCulture,
        $"{_model.Info.Name}: {_model.Info.LayerCount} layers, {_model.Info.EmbeddingSize} dim, {_model.Info.ParameterCount:N0} parameters, size class {_model.Info.SizeClass}");

    /// <summary>Requests waiting for the worker.</summary>
    public int QueueDepth => _queue.Count;

    /// <summary>
    /// Initialises the native runtime (idempotent), checks and loads the model, and starts the worker. Throws
    /// <see cref="NativeRuntimeException"/>, <see cref="Gguf.GgufFormatException"/> or
    /// <see cref="LlamaInferenceException"/> with a message that names the file and the fix.
    /// </summary>
    public static LlamaGuardClassifier Load(
        LlamaGuardClassifierOptions options,
        NativeRuntimeOptions runtime,
        ILoggerFactory loggerFactory,
        Action<float>? progress = null,
        TimeProvider? time = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid classifier options: " + string.Join(" ", errors), nameof(options));
        }

        NativeRuntime.Initialize(runtime, loggerFactory);
        var model = LlamaModel.Load(options.ModelPath, new LlamaModelLoadOptions { GpuLayers = options.GpuLayers, Progress = progress }, cancellationToken);
        try
        {
            var context = LlamaContext.Create(model, new LlamaContextOptions
            {
                ContextSize = options.ContextSize,
                BatchSize = options.BatchSize,
                MaxSequences = 1,
                Threads = options.Threads,
            });
            var logger = loggerFactory.CreateLogger<LlamaGuardClassifier>();
            var classifier = new LlamaGuardClassifier(model, context, options, time ?? TimeProvider.System, logger);
            LogLoaded(logger, classifier.ModelDescription, options.ContextSize);
            return classifier;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public ValueTask<GuardVerdict> ClassifyAsync(GuardRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var started = _time.GetTimestamp();
        if (Volatile.Read(ref _disposed) != 0)
        {
            return ValueTask.FromResult(GuardVerdict.Failed("The classifier has been shut down.", _model.Info.Name));
        }

        var problems = LlamaGuardPromptBuilder.Validate(request.Conversation, request.Direction, request.Categories);
        if (problems.Count > 0)
        {
            return ValueTask.FromResult(GuardVerdict.Failed(string.Join(" ", problems), _model.Info.Name, _time.GetElapsedTime(started)));
        }

        TokenizedPrompt prompt;
        try
        {
            var built = LlamaGuardPromptBuilder.Build(request.Conversation, request.Direction, request.Categories);
            prompt = _promptTokenizer.Tokenize(built, _options.ContextSize - _options.MaxOutputTokens);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return ValueTask.FromResult(GuardVerdict.Failed("The conversation could not be turned into a Llama Guard prompt: " + e.Message, _model.Info.Name, _time.GetElapsedTime(started)));
        }

        var work = new Work(prompt, started, cancellationToken);
        bool queued;
        try
        {
            queued = _queue.TryAdd(work);
        }
        catch (InvalidOperationException)
        {
            queued = false;
        }

        if (!queued)
        {
            return ValueTask.FromResult(GuardVerdict.Failed("The classifier queue is full.", _model.Info.Name, _time.GetElapsedTime(started)));
        }

        return new ValueTask<GuardVerdict>(work.Completion.Task.WaitAsync(cancellationToken));
    }

    /// <summary>Stops taking requests, lets the worker finish the one it is decoding, fails the rest, frees native memory.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.CompleteAdding();
        _worker.Join();
        _queue.Dispose();
        _batch.Dispose();
        _context.Dispose();
        _model.Dispose();
    }

    private void RunWorker()
    {
        foreach (var work in _queue.GetConsumingEnumerable())
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                work.Completion.TrySetResult(GuardVerdict.Failed("The classifier was shut down before this request ran.", _model.Info.Name));
                continue;
            }

            if (work.CancellationToken.IsCancellationRequested)
            {
                work.Completion.TrySetCanceled(work.CancellationToken);
                continue;
            }

            try
            {
                work.Completion.TrySetResult(Classify(work));
            }
            catch (OperationCanceledException)
            {
                work.Completion.TrySetCanceled(work.CancellationToken);
            }
            catch (Exception e) when (e is LlamaInferenceException or InvalidOperationException)
            {
                LogClassificationFailed(_logger, e);
                work.Completion.TrySetResult(GuardVerdict.Failed("The classifier failed: " + e.Message, _model.Info.Name, _time.GetElapsedTime(work.Started)));
            }
        }
    }

    private GuardVerdict Classify(Work work)
    {
        var tokens = work.Prompt.Tokens;
        _context.ClearMemory();

        // Read the prompt in batches; only the last position's logits are needed.
        var lastIndex = 0;
        for (var offset = 0; offset < tokens.Length; offset += _options.BatchSize)
        {
            _batch.Clear();
            var end = Math.Min(offset + _options.BatchSize, tokens.Length);
            for (var i = offset; i < end; i++)
            {
                lastIndex = _batch.Add(tokens[i], i, 0, wantLogits: i == tokens.Length - 1);
            }

            _context.Decode(_batch, work.CancellationToken);
        }

        var logits = _context.GetLogits(lastIndex);
        var unsafeProbability = TokenProbability.Of(logits, _unsafeToken);
        var next = ArgMax(logits);

        var generated = new List<int>(_options.MaxOutputTokens) { next };
        if (next == _unsafeToken)
        {
            var position = tokens.Length;
            while (generated.Count < _options.MaxOutputTokens && !_model.Vocab.IsEndOfGeneration(next))
            {
                _batch.Clear();
                _batch.Add(next, position++, 0, wantLogits: true);
                _context.Decode(_batch, work.CancellationToken);
                next = ArgMax(_context.GetLogits(0));
                generated.Add(next);
            }
        }

        var output = _model.Vocab.Detokenize(generated.Where(t => !_model.Vocab.IsEndOfGeneration(t)).ToArray(), removeSpecial: true, renderSpecial: false);
        return GuardVerdict.FromOutput(output, unsafeProbability, work.Prompt, _model.Info.Name, _time.GetElapsedTime(work.Started));
    }

    private static int ArgMax(ReadOnlySpan<float> logits)
    {
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }

        return best;
    }

    private sealed record Work(TokenizedPrompt Prompt, long Started, CancellationToken CancellationToken)
    {
        public TaskCompletionSource<GuardVerdict> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Llama Guard loaded: {Description}; context {ContextSize} tokens")]
    private static partial void LogLoaded(ILogger logger, string description, int contextSize);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Classification failed")]
    private static partial void LogClassificationFailed(ILogger logger, Exception exception);
}
