using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Guardrail.Classification;
using Guardrail.LlamaCpp.Inference;
using Guardrail.LlamaCpp.Native;
using Microsoft.Extensions.Logging;

namespace Guardrail.LlamaCpp.Generation;

/// <summary>
/// Text generation in process: one model, one llama context with <see cref="GenerationEngineOptions.Parallel"/>
/// sequences, one dedicated worker thread running a continuous batch. Every step decodes one token for each
/// generating sequence plus a chunk of any new prompt, all in one <c>llama_decode</c>; between steps, waiting
/// requests join free sequences, and finished or cancelled ones leave. A sequence keeps its KV cells after its request
/// (<see cref="GenerationEngineOptions.ReusePrompts"/>): a new request takes the free sequence whose cells share the
/// longest token prefix with its prompt and decodes only the rest. A full waiting queue is refused at once with
/// <see cref="GenerationRejectedException"/>, never waited on.
/// </summary>
public sealed partial class GenerationEngine : IDisposable
{
    /// <summary>The most alternatives one position may return (<see cref="GenerationRequest.TopLogprobs"/>), as OpenAI allows.</summary>
    public const int MaxTopLogprobs = 20;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private readonly LlamaModel _model;
    private readonly LlamaContext _context;
    private readonly LlamaBatch _batch;
    private readonly GenerationEngineOptions _options;
    private readonly BlockingCollection<Work> _queue;
    private readonly Thread _worker;
    private readonly ILogger _logger;

    // The tokens whose KV cells each sequence holds, at positions 0 to Count - 1; only the worker touches them.
    private readonly List<int>[] _kvTokens;
    private int _active;
    private int _peakActive;
    private long _completed;
    private long _cancelled;
    private long _promptTokensReused;
    private long _promptTokensDecoded;
    private int _disposed;

    private GenerationEngine(LlamaModel model, LlamaContext context, GenerationEngineOptions options, ILogger logger)
    {
        _model = model;
        _context = context;
        _options = options;
        _logger = logger;
        _batch = new LlamaBatch(options.BatchSize);
        _queue = new BlockingCollection<Work>(options.QueueCapacity);
        _kvTokens = [.. Enumerable.Range(0, options.Parallel).Select(_ => new List<int>())];
        _worker = new Thread(RunWorker) { IsBackground = true, Name = "llama-generation-worker" };
        _worker.Start();
    }

    /// <summary>The loaded model's name (from its GGUF metadata).</summary>
    public string ModelName => _model.Info.Name;

    /// <summary>The per-request KV budget in tokens (prompt plus completion).</summary>
    public int ContextSize => _options.ContextSize;

    /// <summary>Sequences decoded together.</summary>
    public int Parallel => _options.Parallel;

    /// <summary>Vocabulary size: token ids are 0 to this minus one.</summary>
    public int VocabularySize => _model.Vocab.Count;

    /// <summary>Sequences generating now.</summary>
    public int ActiveSequences => Volatile.Read(ref _active);

    /// <summary>The most sequences that were ever generating in the same step.</summary>
    public int PeakActiveSequences => Volatile.Read(ref _peakActive);

    /// <summary>Requests waiting for a free sequence.</summary>
    public int QueueDepth => _queue.Count;

    /// <summary>Generations that ended (any reason) since start.</summary>
    public long CompletedRequests => Interlocked.Read(ref _completed);

    /// <summary>Generations that ended because their caller cancelled (a client that went away) since start.</summary>
    public long CancelledRequests => Interlocked.Read(ref _cancelled);

    /// <summary>Prompt tokens taken from a sequence's kept KV cells instead of decoded, since start.</summary>
    public long PromptTokensReused => Interlocked.Read(ref _promptTokensReused);

    /// <summary>Prompt tokens that were not in kept cells and so were given to decode, since start.</summary>
    public long PromptTokensDecoded => Interlocked.Read(ref _promptTokensDecoded);

    /// <summary>Whether every sequence's KV cells are empty; meaningful only while nothing generates.</summary>
    internal bool AllSequencesAreEmpty => Enumerable.Range(0, _options.Parallel).All(s => _context.GetSequenceMaxPosition(s) < 0);

    /// <summary>
    /// Whether each sequence's KV cells run from position 0 to exactly the tokens the engine believes they hold;
    /// meaningful only while nothing generates.
    /// </summary>
    internal bool KvCellsMatchTheirTokens => Enumerable.Range(0, _options.Parallel).All(s => _context.GetSequenceMaxPosition(s) == _kvTokens[s].Count - 1);

    /// <summary>llama.cpp's own prefill and decode timing (<c>llama_perf_context</c>).</summary>
    internal LlamaPerformance Performance => _context.GetPerformance();

    /// <summary>Restarts llama.cpp's timing; only while nothing generates (benchmarks, between runs).</summary>
    internal void ResetPerformance() => _context.ResetPerformance();

    /// <summary>
    /// Initialises the native runtime (idempotent), loads the model, creates the context and starts the worker.
    /// Throws <see cref="NativeRuntimeException"/>, <see cref="Gguf.GgufFormatException"/> or
    /// <see cref="LlamaInferenceException"/> with a message that names the file and the fix.
    /// </summary>
    public static GenerationEngine Load(GenerationEngineOptions options, NativeRuntimeOptions runtime, ILoggerFactory loggerFactory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid generation options: " + string.Join(" ", errors), nameof(options));
        }

        NativeRuntime.Initialize(runtime, loggerFactory);
        var model = LlamaModel.Load(options.ModelPath, new LlamaModelLoadOptions { GpuLayers = options.GpuLayers }, cancellationToken);
        try
        {
            var context = LlamaContext.Create(model, new LlamaContextOptions
            {
                ContextSize = options.Parallel * options.ContextSize,
                BatchSize = options.BatchSize,
                MaxSequences = options.Parallel,
                Threads = options.Threads,
                KvUnified = true,
            });
            var logger = loggerFactory.CreateLogger<GenerationEngine>();
            var engine = new GenerationEngine(model, context, options, logger);
            LogLoaded(logger, model.Info.Name, options.Parallel, options.ContextSize);
            return engine;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The Llama 3 instruct prompt for <paramref name="messages"/>, ending with the open assistant header.</summary>
    public int[] TokenizeChat(IReadOnlyList<ChatMessage> messages) => Llama3ChatPrompt.Tokenize(messages, _model.Vocab);

    /// <summary>A plain-text prompt: the begin-of-text token, then <paramref name="text"/> with no special tokens parsed.</summary>
    public int[] TokenizeText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var bos = _model.Vocab.Bos is { } b ? new[] { b } : [];
        return [.. bos, .. _model.Vocab.Tokenize(text, addSpecial: false, parseSpecial: false)];
    }

    /// <summary>
    /// Queues a generation. The returned stream yields text as it is released; cancelling
    /// <paramref name="cancellationToken"/> ends it (reason <see cref="FinishReason.Cancelled"/>) and frees its sequence.
    /// </summary>
    /// <exception cref="GenerationRejectedException">The queue is full, the prompt does not fit, or the engine is shutting down.</exception>
    /// <exception cref="ArgumentException">Invalid sampling options or token ids.</exception>
    public GenerationStream Generate(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var problems = request.Sampling.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(problems[0].Message, problems[0].Parameter);
        }

        if (request.TopLogprobs is < 0 or > MaxTopLogprobs)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"TopLogprobs must be 0 to {MaxTopLogprobs}, was {request.TopLogprobs}."), nameof(request));
        }

        if (request.PromptTokens.Count == 0)
        {
            throw new ArgumentException("The prompt has no tokens.", nameof(request));
        }

        foreach (var token in request.PromptTokens)
        {
            if ((uint)token >= (uint)_model.Vocab.Count)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Prompt token {token} is outside the vocabulary [0, {_model.Vocab.Count})."), nameof(request));
            }
        }

        var prompt = request.PromptTokens.Count;
        if (prompt >= _options.ContextSize || (request.MaxTokens is { } max && prompt + max > _options.ContextSize))
        {
            var asked = request.MaxTokens is { } m
                ? string.Create(CultureInfo.InvariantCulture, $"you requested {prompt + m} tokens ({prompt} in the prompt, {m} in the completion)")
                : string.Create(CultureInfo.InvariantCulture, $"the prompt has {prompt} tokens, leaving no room for a completion");
            throw new GenerationRejectedException(
                GenerationRejection.ContextLengthExceeded,
                string.Create(CultureInfo.InvariantCulture, $"This model's maximum context length is {_options.ContextSize} tokens. However, {asked}. Please reduce the length of the messages or completion."));
        }

        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new GenerationRejectedException(GenerationRejection.ShuttingDown, "The generation engine is shutting down.");
        }

        var work = new Work(request, new GenerationStream(prompt), cancellationToken);
        bool queued;
        try
        {
            queued = _queue.TryAdd(work);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            throw new GenerationRejectedException(GenerationRejection.ShuttingDown, "The generation engine is shutting down.");
        }

        if (!queued)
        {
            LogQueueFull(_logger, _options.QueueCapacity);
            throw new GenerationRejectedException(
                GenerationRejection.QueueFull,
                string.Create(CultureInfo.InvariantCulture, $"All {_options.Parallel} sequences are busy and {_options.QueueCapacity} requests are already waiting; retry later."));
        }

        return work.Stream;
    }

    /// <summary>Stops taking requests, ends every running and waiting generation as failed, frees native memory.</summary>
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
        var active = new List<Slot>(_options.Parallel);
        // Least recently used first: a request that matches no kept prefix takes the one kept longest.
        var free = Enumerable.Range(0, _options.Parallel).ToList();
        while (true)
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                var shutdown = new GenerationRejectedException(GenerationRejection.ShuttingDown, "The generation engine was shut down.");
                foreach (var slot in active)
                {
                    End(slot, free, shutdown);
                }

                active.Clear();
                while (_queue.TryTake(out var waiting))
                {
                    waiting.Stream.Fail(shutdown);
                }

                return;
            }

            if (!Admit(active, free))
            {
                return;
            }

            foreach (var slot in active.Where(s => s.Work.Token.IsCancellationRequested).ToList())
            {
                slot.Finish(FinishReason.Cancelled);
                End(slot, free, null);
                active.Remove(slot);
            }

            if (active.Count == 0)
            {
                continue;
            }

            try
            {
                Step(active);
            }
            catch (Exception e) when (e is LlamaInferenceException or InvalidOperationException or ArgumentException)
            {
                LogGenerationFailed(_logger, e);
                var failure = new LlamaInferenceException("Generation failed: " + e.Message, e);
                foreach (var slot in active)
                {
                    End(slot, free, failure);
                }

                active.Clear();
                continue;
            }

            foreach (var slot in active.Where(s => s.Finished).ToList())
            {
                End(slot, free, null);
                active.Remove(slot);
            }
        }
    }

    /// <summary>Moves waiting requests into free sequences; blocks only while nothing generates. False once the queue is closed and empty.</summary>
    private bool Admit(List<Slot> active, List<int> free)
    {
        while (free.Count > 0)
        {
            Work? work;
            if (active.Count == 0)
            {
                if (!_queue.TryTake(out work, Timeout.Infinite))
                {
                    return false;
                }
            }
            else if (!_queue.TryTake(out work))
            {
                break;
            }

            if (work.Token.IsCancellationRequested)
            {
                Interlocked.Increment(ref _completed);
                Interlocked.Increment(ref _cancelled);
                work.Stream.Complete(new GenerationFinish(FinishReason.Cancelled, work.Request.PromptTokens.Count, 0));
                continue;
            }

            var (sequence, reused) = TakeSequence(free, work.Request.PromptTokens);
            active.Add(new Slot(work, sequence, _kvTokens[sequence], reused, _model.Vocab, _options.ContextSize));
            Interlocked.Add(ref _promptTokensReused, reused);
            Interlocked.Add(ref _promptTokensDecoded, work.Request.PromptTokens.Count - reused);
            Volatile.Write(ref _active, active.Count);
            if (active.Count > _peakActive)
            {
                Volatile.Write(ref _peakActive, active.Count);
            }

            LogAdmitted(_logger, active.Count, work.Request.PromptTokens.Count);
        }

        return true;
    }

    /// <summary>
    /// Takes the free sequence whose kept cells share the longest prefix with <paramref name="prompt"/> (the least
    /// recently used on a tie) and trims its cells to that prefix; returns it and how many prompt tokens it already
    /// holds. The prompt's last token is always decoded again: its logits choose the first generated token.
    /// </summary>
    private (int Sequence, int Reused) TakeSequence(List<int> free, IReadOnlyList<int> prompt)
    {
        var tokens = prompt as int[] ?? [.. prompt];
        var best = 0;
        var bestLength = -1;
        for (var i = 0; i < free.Count; i++)
        {
            var length = _options.ReusePrompts ? CollectionsMarshal.AsSpan(_kvTokens[free[i]]).CommonPrefixLength(tokens) : 0;
            if (length > bestLength)
            {
                (best, bestLength) = (i, length);
            }
        }

        var sequence = free[best];
        free.RemoveAt(best);
        var reused = Math.Min(bestLength, prompt.Count - 1);
        var kept = _kvTokens[sequence];
        if (reused < kept.Count)
        {
            // A model whose memory cannot drop a tail (recurrent state) refuses the partial removal: start afresh.
            if (!_context.RemoveSequence(sequence, reused))
            {
                _context.RemoveSequence(sequence);
                reused = 0;
            }

            kept.RemoveRange(reused, kept.Count - reused);
        }

        return (sequence, reused);
    }

    /// <summary>One decode: the last sampled token of every generating sequence, then prompt chunks while room is left.</summary>
    private void Step(List<Slot> active)
    {
        _batch.Clear();
        var outputs = new List<(Slot Slot, int Index)>(active.Count);
        foreach (var slot in active.Where(s => s.PromptDone))
        {
            outputs.Add((slot, _batch.Add(slot.LastToken, slot.Position++, slot.Sequence, wantLogits: true)));
            slot.KvTokens.Add(slot.LastToken);
        }

        var room = _options.BatchSize - _batch.Count;
        foreach (var slot in active.Where(s => !s.PromptDone))
        {
            if (room == 0)
            {
                break;
            }

            var prompt = slot.Work.Request.PromptTokens;
            var take = Math.Min(room, prompt.Count - slot.Position);
            for (var i = 0; i < take; i++)
            {
                var position = slot.Position++;
                var last = position == prompt.Count - 1;
                var index = _batch.Add(prompt[position], position, slot.Sequence, wantLogits: last);
                slot.KvTokens.Add(prompt[position]);
                if (last)
                {
                    outputs.Add((slot, index));
                }
            }

            room -= take;
        }

        _context.Decode(_batch);
        foreach (var (slot, index) in outputs)
        {
            // The sampler reads the logits without changing them, so the row still holds the model's distribution.
            var token = slot.Sampler.Sample(_context, index);
            var logprob = slot.Work.Request.Logprobs ? Logprob(_context.GetLogits(index), token, slot.Work.Request.TopLogprobs) : null;
            slot.Accept(token, logprob, _model.Vocab.IsEndOfGeneration(token));
        }
    }

    /// <summary>
    /// The chosen token's log probability and the <paramref name="top"/> most likely tokens, from one logits row
    /// (the same log-softmax over the whole vocabulary that the classifier reads), with no copy of the row.
    /// </summary>
    private TokenLogprob Logprob(ReadOnlySpan<float> logits, int token, int top)
    {
        var logSum = TokenProbability.LogSumExp(logits);
        Span<int> best = stackalloc int[top];
        var count = TopTokens(logits, best);
        var alternatives = new TokenAlternative[count];
        for (var i = 0; i < count; i++)
        {
            alternatives[i] = Alternative(best[i], logits[best[i]] - logSum);
        }

        var chosen = Alternative(token, logits[token] - logSum);
        return new TokenLogprob(chosen.Token, chosen.Bytes, chosen.Logprob, alternatives);
    }

    /// <summary>
    /// Writes the tokens with the largest logits into <paramref name="best"/>, largest first, in one pass over the row
    /// (an insertion into the short sorted list only for a logit above its smallest); returns how many it wrote.
    /// </summary>
    private static int TopTokens(ReadOnlySpan<float> logits, Span<int> best)
    {
        var count = 0;
        for (var token = 0; token < logits.Length && best.Length > 0; token++)
        {
            var logit = logits[token];
            if (count == best.Length && logit <= logits[best[count - 1]])
            {
                continue;
            }

            var at = Math.Min(count, best.Length - 1);
            while (at > 0 && logits[best[at - 1]] < logit)
            {
                best[at] = best[at - 1];
                at--;
            }

            best[at] = token;
            count = Math.Min(count + 1, best.Length);
        }

        return count;
    }

    private TokenAlternative Alternative(int token, double logprob)
    {
        var bytes = _model.Vocab.TokenToPieceBytes(token, renderSpecial: true);
        return new TokenAlternative(Utf8.GetString(bytes), bytes, logprob);
    }

    /// <summary>Frees the slot's sequence (its cells kept for the next prompt unless it failed or reuse is off), then ends its stream.</summary>
    private void End(Slot slot, List<int> free, Exception? failure)
    {
        if (failure is not null || !_options.ReusePrompts)
        {
            // After a failed decode the cells' content is unknown: nothing of it may be reused.
            _context.RemoveSequence(slot.Sequence);
            slot.KvTokens.Clear();
        }

        free.Add(slot.Sequence);
        Volatile.Write(ref _active, _active - 1);
        Interlocked.Increment(ref _completed);
        if (slot.Result?.Reason == FinishReason.Cancelled)
        {
            Interlocked.Increment(ref _cancelled);
        }

        slot.Sampler.Dispose();
        if (failure is not null)
        {
            slot.Work.Stream.Fail(failure);
        }
        else
        {
            slot.Work.Stream.Complete(slot.Result!);
        }
    }

    private sealed record Work(GenerationRequest Request, GenerationStream Stream, CancellationToken Token);

    /// <summary>One request in a sequence: where its tokens are, its sampler, its text on the way out.</summary>
    private sealed class Slot
    {
        private readonly LlamaVocab _vocab;
        private readonly int _budget;
        private readonly Decoder _decoder = Utf8.GetDecoder();
        private readonly StopStringFilter _stops;
        private readonly Queue<(TokenLogprob Entry, long End)> _pendingLogprobs = new();
        private long _decodedChars;
        private long _releasedChars;

        public Slot(Work work, int sequence, List<int> kvTokens, int reused, LlamaVocab vocab, int budget)
        {
            Work = work;
            Sequence = sequence;
            KvTokens = kvTokens;
            Reused = reused;
            Position = reused;
            _vocab = vocab;
            _budget = budget;
            _stops = new StopStringFilter(work.Request.Stop);
            Sampler = new LlamaSamplerChain(work.Request.Sampling, vocab.Count);
        }

        public Work Work { get; }

        public int Sequence { get; }

        /// <summary>The tokens in the sequence's KV cells; every token added to a batch for it is appended.</summary>
        public List<int> KvTokens { get; }

        /// <summary>Prompt tokens already in the cells when the request joined.</summary>
        public int Reused { get; }

        public LlamaSamplerChain Sampler { get; }

        /// <summary>Next KV position to write.</summary>
        public int Position { get; set; }

        public bool PromptDone => Position >= Work.Request.PromptTokens.Count;

        public int LastToken { get; private set; }

        public int Generated { get; private set; }

        public bool Finished => Result is not null;

        public GenerationFinish? Result { get; private set; }

        public void Accept(int token, TokenLogprob? logprob, bool endOfTurn)
        {
            if (endOfTurn)
            {
                Release(_stops.Flush(), stopped: false, flushDecoder: true);
                Finish(FinishReason.Stop);
                return;
            }

            LastToken = token;
            Generated++;
            var bytes = _vocab.TokenToPieceBytes(token, renderSpecial: false);
            var chars = new char[Utf8.GetMaxCharCount(bytes.Length)];
            var count = _decoder.GetChars(bytes, 0, bytes.Length, chars, 0, flush: false);
            _decodedChars += count;
            if (logprob is not null)
            {
                _pendingLogprobs.Enqueue((logprob, _decodedChars));
            }

            var (released, stopped) = _stops.Push(new string(chars, 0, count));
            if (stopped)
            {
                Release(released, stopped: true, flushDecoder: false);
                Finish(FinishReason.Stop);
                return;
            }

            var atLimit = Generated >= (Work.Request.MaxTokens ?? int.MaxValue) || Work.Request.PromptTokens.Count + Generated >= _budget;
            Release(atLimit ? released + _stops.Flush() : released, stopped: false, flushDecoder: atLimit);
            if (atLimit)
            {
                Finish(FinishReason.Length);
            }
        }

        public void Finish(FinishReason reason) =>
            Result ??= new GenerationFinish(reason, Work.Request.PromptTokens.Count, Generated, Reused);

        private void Release(string text, bool stopped, bool flushDecoder)
        {
            if (flushDecoder)
            {
                // A generation that ends inside a UTF-8 character ends with U+FFFD, as llama.cpp's server does.
                var tail = new char[4];
                var count = _decoder.GetChars([], 0, 0, tail, 0, flush: true);
                text += new string(tail, 0, count);
                _decodedChars += count;
            }

            _releasedChars += text.Length;
            var entries = new List<TokenLogprob>();
            while (_pendingLogprobs.Count > 0 && (_pendingLogprobs.Peek().End <= _releasedChars || (flushDecoder && !stopped)))
            {
                entries.Add(_pendingLogprobs.Dequeue().Entry);
            }

            if (text.Length > 0 || entries.Count > 0)
            {
                Work.Stream.Write(new GenerationChunk(text, entries));
            }
        }
    }

    [LoggerMessage(EventId = LlamaCppEventIds.GeneratorLoaded, Level = LogLevel.Information, Message = "Generation model loaded: {Model}; {Parallel} sequences of {ContextSize} tokens")]
    private static partial void LogLoaded(ILogger logger, string model, int parallel, int contextSize);

    [LoggerMessage(EventId = LlamaCppEventIds.GenerationFailed, Level = LogLevel.Error, Message = "Generation failed; every running request of the batch ended with an error")]
    private static partial void LogGenerationFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = LlamaCppEventIds.GenerationQueueFull, Level = LogLevel.Warning, Message = "Generation queue full ({Capacity} waiting): request refused")]
    private static partial void LogQueueFull(ILogger logger, int capacity);

    [LoggerMessage(EventId = LlamaCppEventIds.GenerationAdmitted, Level = LogLevel.Debug, Message = "Generation joined the batch: {Active} sequences active, {PromptTokens} prompt tokens")]
    private static partial void LogAdmitted(ILogger logger, int active, int promptTokens);
}
