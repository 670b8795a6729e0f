using System.Diagnostics;
using System.Globalization;
using Guardrail.Classification;
using Guardrail.LlamaCpp.Inference;
using Guardrail.LlamaCpp.Native;
using Microsoft.Extensions.Logging;

namespace Guardrail.LlamaCpp.Classification;

/// <summary>
/// Llama Guard 3 in process: one model, one llama context with several sequences, one dedicated worker thread that
/// drains a bounded queue. Native decoding cannot be awaited or interrupted like managed I/O, so it never runs on
/// the thread pool; callers await a completion instead. A full queue is refused at once (a classifier error the
/// policy's <c>on_error</c> decides), never waited on without end.
/// </summary>
/// <remarks>
/// <para>
/// The queue is fair between tenants (<see cref="GuardRequest.Tenant"/>): one queue per tenant, drained by weighted
/// round robin into batches, and a tenant may hold only <see cref="LlamaGuardClassifierOptions.TenantQueueShare"/> of
/// the queue, so one tenant's flood delays another's check by at most a turn per waiting tenant. A check whose
/// expected wait (the checks ahead of it in round order, in batches of the average recent batch time) is over its
/// deadline is refused at once rather than failed by its deadline later.
/// </para>
/// </remarks>
/// <remarks>
/// <para>
/// Each batch takes up to <see cref="LlamaGuardClassifierOptions.MaxBatchSequences"/> waiting checks. The prompt
/// prefix (instructions and category list, identical for every check of one policy and direction) is decoded once
/// into a prefix sequence and shared with each check through <c>llama_memory_seq_cp</c> (a unified KV cache makes
/// that a reference, not a copy); only each check's own tokens are decoded, all checks' tokens together in one
/// <c>llama_decode</c>. Request sequences are emptied after every batch; prefix sequences are kept, least recently
/// used out. A finished check's prompt is kept too (<see cref="ConversationCache"/>, per tenant), so that the next
/// check of the same chat takes every token it shares with it from the cache and decodes only its new messages and
/// closing lines. Only identical tokens at identical positions are ever shared, so a check's scores are the same
/// as if it had been decoded whole.
/// </para>
/// <para>
/// The unsafe probability is read from the full softmax at the last prompt position; the category line is decoded
/// greedily, batched across checks, only when the most likely first token is <c>unsafe</c>. Anything the model says
/// that is not a well-formed verdict becomes an error verdict, never <c>safe</c>.
/// </para>
/// </remarks>
public sealed partial class LlamaGuardClassifier : IGuardClassifier, IDisposable
{
    private readonly LlamaModel _model;
    private readonly LlamaContext _context;
    private readonly LlamaBatch _batch;
    private readonly LlamaVocabTokenizer _tokenizer;
    private readonly LlamaGuardPromptTokenizer _promptTokenizer;
    private readonly LlamaGuardClassifierOptions _options;
    private readonly FairQueue<Work> _queue;
    private readonly Thread _worker;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _safeToken;
    private readonly int _unsafeToken;
    private readonly PrefixCache _prefixes;
    private readonly ConversationCache _conversations;
    private readonly int _firstRequestSequence;
    private readonly Counters _counters = new();
    private long _averageBatchTicks;
    private int _disposed;

    private LlamaGuardClassifier(LlamaModel model, LlamaContext context, LlamaGuardClassifierOptions options, TimeProvider time, ILogger logger)
    {
        _model = model;
        _context = context;
        _options = options;
        _time = time;
        _logger = logger;
        _batch = new LlamaBatch(options.BatchSize);
        _tokenizer = new LlamaVocabTokenizer(model.Vocab);
        _promptTokenizer = new LlamaGuardPromptTokenizer(_tokenizer);
        _safeToken = model.Vocab.FindToken("safe") ?? throw new LlamaInferenceException($"'{model.Path}' has no 'safe' token: it is not a Llama 3 vocabulary, so it cannot be Llama Guard 3.");
        _unsafeToken = model.Vocab.FindToken("unsafe") ?? throw new LlamaInferenceException($"'{model.Path}' has no 'unsafe' token: it is not a Llama 3 vocabulary, so it cannot be Llama Guard 3.");
        _prefixes = new PrefixCache(context, options.PrefixCacheSize);
        _conversations = new ConversationCache(context, options.PrefixCacheSize, options.ConversationCacheSize, options.ConversationCacheTokens);
        _firstRequestSequence = options.PrefixCacheSize + options.ConversationCacheSize;
        _queue = new FairQueue<Work>(options.QueueCapacity, options.TenantQueueCapacity, tenant => options.TenantWeights.GetValueOrDefault(tenant, 1));
        _worker = new Thread(RunWorker) { IsBackground = true, Name = "llama-guard-worker" };
        _worker.Start();
    }

    /// <summary>The loaded model's name (from its GGUF metadata).</summary>
    public string ModelName => _model.Info.Name;

    /// <summary>The loaded model's size class from its shape alone: <c>1B</c>, <c>8B</c> or <c>other</c>.</summary>
    public string ModelSizeClass => _model.Info.SizeClass;

    /// <summary>
    /// The variant checks are built for: <see cref="LlamaGuardClassifierOptions.Variant"/> when set, else what the
    /// file's metadata says (<see cref="DetectedVariant"/>). Callers send only the categories it knows.
    /// </summary>
    public GuardModelVariant Variant => _options.Variant ?? _model.Info.Variant.Variant;

    /// <summary>What the file's metadata says about its variant, whatever the options say.</summary>
    public ModelVariantDetection DetectedVariant => _model.Info.Variant;

    /// <summary>Layer count, context length, parameter count and variant of the loaded model, for logs and readiness.</summary>
    public string ModelDescription => string.Create(
        CultureInfo.InvariantCulture,
        $"{_model.Info.Name}: {_model.Info.LayerCount} layers, {_model.Info.EmbeddingSize} dim, {_model.Info.ParameterCount:N0} parameters, size class {_model.Info.SizeClass}, variant {Variant.Id}");

    /// <summary>Checks waiting for the worker.</summary>
    public int QueueDepth => _queue.Count;

    /// <summary>The queue's capacity: one more waiting check is refused.</summary>
    public int QueueCapacity => _options.QueueCapacity;

    /// <summary>Checks waiting for the worker, per tenant (tenants with none left out; checks without a tenant under the empty name).</summary>
    public IReadOnlyDictionary<string, int> QueueDepthByTenant => _queue.CountsByTenant();

    /// <summary>
    /// Called on the worker thread as each check leaves the queue for a batch, with its tenant (empty for none) and how
    /// long it waited; it must be quick (a metric).
    /// </summary>
    public Action<string, TimeSpan>? QueueWaitObserver { get; set; }

    /// <summary>The average time of recent batches (an exponential moving average), zero before the first.</summary>
    public TimeSpan AverageBatchTime => TimeSpan.FromTicks(Interlocked.Read(ref _averageBatchTicks));

    /// <summary>
    /// Tokens of <paramref name="text"/> in the loaded model's vocabulary (Llama 3's), special-token strings read as
    /// text: what a Llama 3 backend is charged for the same text, give or take its chat template. Thread-safe.
    /// </summary>
    public int CountTokens(string text) => _tokenizer.Tokenize(text, parseSpecial: false).Length;

    /// <summary>Counters since start: batches, tokens prefilled and reused, decode time.</summary>
    public ClassifierStatistics Statistics => _counters.Snapshot();

    /// <summary>Whether every request sequence is empty: true whenever no batch is running (no KV state outlives a check).</summary>
    internal bool RequestSequencesAreEmpty =>
        Enumerable.Range(_firstRequestSequence, _options.MaxBatchSequences).All(sequence => _context.GetSequenceMaxPosition(sequence) < 0);

    /// <summary>Earlier checks' prompts held for reuse, and the KV cells they hold (shared cells counted per entry).</summary>
    internal (int Entries, int Tokens) ConversationCacheUse => (_conversations.Count, _conversations.Tokens);

    /// <summary>llama.cpp's own timing of prompt and generation decoding (<c>llama_perf_context</c>).</summary>
    internal LlamaPerformance Performance => _context.GetPerformance();

    /// <summary>Restarts llama.cpp's timing; call only while no check is running (benchmarks, between runs).</summary>
    internal void ResetPerformance() => _context.ResetPerformance();

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
            // Every check gets ContextSize tokens, every cached prefix MaxPrefixTokens and the earlier checks' prompts
            // ConversationCacheTokens, in one unified KV cache.
            var context = LlamaContext.Create(model, new LlamaContextOptions
            {
                ContextSize = (options.MaxBatchSequences * options.ContextSize) + (options.PrefixCacheSize * options.MaxPrefixTokens) + options.ConversationCacheTokens,
                BatchSize = options.BatchSize,
                MaxSequences = options.PrefixCacheSize + options.ConversationCacheSize + options.MaxBatchSequences,
                Threads = options.Threads,
                KvUnified = true,
            });
            var logger = loggerFactory.CreateLogger<LlamaGuardClassifier>();
            var classifier = new LlamaGuardClassifier(model, context, options, time ?? TimeProvider.System, logger);
            LogLoaded(logger, classifier.ModelDescription, options.ContextSize, options.MaxBatchSequences);
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

        var (prompt, error) = _promptTokenizer.Prepare(request, _options.ContextSize - _options.MaxOutputTokens);
        if (prompt is null)
        {
            return ValueTask.FromResult(GuardVerdict.Failed(error!, _model.Info.Name, _time.GetElapsedTime(started)));
        }

        var tenant = request.Tenant ?? string.Empty;
        // Only behind other checks: a check that finds the queue empty always runs, so one slow batch cannot leave an
        // average that refuses every later check with no batch left to correct it.
        var ahead = _queue.ItemsAhead(tenant);
        var expectedWait = ExpectedWait(ahead, _options.MaxBatchSequences, AverageBatchTime);
        if (ahead > 0 && expectedWait > _options.RequestTimeout)
        {
            return ValueTask.FromResult(GuardVerdict.Failed(
                string.Create(CultureInfo.InvariantCulture, $"The classifier is overloaded: this check would wait about {expectedWait.TotalSeconds:0.#} s, over its {_options.RequestTimeout.TotalSeconds:0.#} s deadline."),
                _model.Info.Name,
                _time.GetElapsedTime(started)));
        }

        var work = new Work(prompt, tenant, started, cancellationToken, _options.RequestTimeout, _time, _model.Info.Name);
        var refusal = _queue.TryAdd(tenant, work);
        if (refusal != FairQueueRefusal.None)
        {
            work.TryComplete(GuardVerdict.Failed(
                refusal switch
                {
                    FairQueueRefusal.TenantShareFull => string.Create(CultureInfo.InvariantCulture, $"This tenant has {_queue.TenantCapacity} checks waiting for the classifier, its share of the queue."),
                    FairQueueRefusal.Closed => "The classifier has been shut down.",
                    _ => "The classifier queue is full.",
                },
                _model.Info.Name,
                _time.GetElapsedTime(started)));
            return new ValueTask<GuardVerdict>(work.Completion.Task);
        }

        // The deadline completes the caller's wait even while the worker is busy; the worker then skips the check.
        return new ValueTask<GuardVerdict>(work.Completion.Task.WaitAsync(cancellationToken));
    }

    /// <summary>Stops taking requests, lets the worker finish the batch it is decoding, fails the rest, frees native memory.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Close();
        _worker.Join();
        _batch.Dispose();
        _context.Dispose();
        _model.Dispose();
    }

    private void RunWorker()
    {
        var batch = new List<Work>(_options.MaxBatchSequences);
        while (_queue.Take(out var first))
        {
            batch.Add(first);
            while (batch.Count < _options.MaxBatchSequences && _queue.TryTake(out var next))
            {
                batch.Add(next);
            }

            if (Volatile.Read(ref _disposed) != 0)
            {
                batch.ForEach(w => w.TryComplete(GuardVerdict.Failed("The classifier was shut down before this request ran.", _model.Info.Name)));
            }
            else
            {
                ProcessBatch(batch, started: _time.GetTimestamp());
            }

            batch.Clear();
        }
    }

    /// <summary>
    /// How long a check waits with <paramref name="itemsAhead"/> checks before it: the batches until its own is taken
    /// (the running one included), each as long as the recent average.
    /// </summary>
    internal static TimeSpan ExpectedWait(int itemsAhead, int maxBatchSequences, TimeSpan averageBatchTime) =>
        averageBatchTime * (1 + (itemsAhead / maxBatchSequences));

    // An exponential moving average over about eight batches: quick to follow a change of load, steady over one slow batch.
    private void RecordBatchTime(TimeSpan elapsed)
    {
        var previous = Interlocked.Read(ref _averageBatchTicks);
        Interlocked.Exchange(ref _averageBatchTicks, previous == 0 ? elapsed.Ticks : previous + ((elapsed.Ticks - previous) / 8));
    }

    private void ProcessBatch(List<Work> works, long started)
    {
        var slots = new List<Slot>(works.Count);
        foreach (var work in works)
        {
            if (!work.IsWanted)
            {
                work.CompleteUnwanted();
                continue;
            }

            QueueWaitObserver?.Invoke(work.Tenant, _time.GetElapsedTime(work.Started));
            ClassifierTracing.RecordQueueWait(work.Trace, work.Tenant);
            slots.Add(new Slot(work, _firstRequestSequence + slots.Count));
        }

        if (slots.Count == 0)
        {
            return;
        }

        foreach (var slot in slots)
        {
            slot.Span = ClassifierTracing.StartDecode(slot.Work.Trace, slots.Count, slot.Work.Prompt.Tokens.Length, _model.Info.Name);
        }

        _counters.BatchStarted(slots.Count);
        var verdicts = new List<(Work Work, GuardVerdict Verdict)>(slots.Count);
        var failed = false;
        try
        {
            AttachPrefixes(slots);
            Prefill(slots);
            Generate(slots.Where(s => s.Generated.Count > 0 && s.Generated[^1] == _unsafeToken && s.IsActive).ToList());
            foreach (var slot in slots.Where(s => s.IsActive))
            {
                var output = _model.Vocab.Detokenize(slot.Generated.Where(t => !_model.Vocab.IsEndOfGeneration(t)).ToArray(), removeSpecial: true, renderSpecial: false);
                verdicts.Add((slot.Work, GuardVerdict.FromOutput(output, slot.UnsafeProbability, slot.Work.Prompt, _model.Info.Name, _time.GetElapsedTime(slot.Work.Started))));
                _counters.RequestCompleted();
            }

            if (_options.ReusesConversations)
            {
                foreach (var slot in slots.Where(s => s.IsActive))
                {
                    _conversations.Store(slot.Work.Tenant, slot.Work.Prompt, slot.Sequence, slot.Continued);
                }
            }
        }
        catch (OperationCanceledException)
        {
            slots.ForEach(s => s.Work.CompleteUnwanted());
        }
        catch (Exception e) when (e is LlamaInferenceException or InvalidOperationException or ArgumentException)
        {
            LogClassificationFailed(_logger, e);
            failed = true;
            verdicts.Clear();
            verdicts.AddRange(slots.Select(slot => (slot.Work, GuardVerdict.Failed("The classifier failed: " + e.Message, _model.Info.Name, _time.GetElapsedTime(slot.Work.Started)))));
        }
        finally
        {
            foreach (var slot in slots)
            {
                _context.RemoveSequence(slot.Sequence);
                ClassifierTracing.EndDecode(slot.Span, slot.ReusedTokens, slot.Generated.Count, failed);
            }
        }

        // Answered only once the batch's sequences are free, its checks counted and its time in the average: a caller
        // holding its verdict sees the engine at rest, not a batch still being cleaned up.
        RecordBatchTime(_time.GetElapsedTime(started));
        foreach (var (work, verdict) in verdicts)
        {
            work.TryComplete(verdict);
        }
    }

    private void AttachPrefixes(List<Slot> slots)
    {
        foreach (var slot in slots)
        {
            var prompt = slot.Work.Prompt;
            if (!_options.PrefixReuse || prompt.PrefixTokenCount > _options.MaxPrefixTokens || prompt.PrefixTokenCount >= prompt.Tokens.Length)
            {
                continue;
            }

            // The next check of a chat: everything up to its new messages is in the cache already. The last token is
            // always decoded, for its logits.
            if (_options.ReusesConversations
                && _conversations.FindContinued(slot.Work.Tenant, prompt.Tokens.AsSpan(), prompt.Tokens.Length - 1) is { Entry: { } earlier, Matched: var matched }
                && matched > prompt.PrefixTokenCount)
            {
                _conversations.Share(earlier, slot.Sequence, matched);
                slot.Position = matched;
                slot.ReusedTokens = matched;
                slot.Continued = earlier;
                _counters.ConversationUsed(matched);
                continue;
            }

            var prefix = prompt.Tokens.AsSpan(0, prompt.PrefixTokenCount);
            var (sequence, hit) = _prefixes.Acquire(prefix, DecodePrefix);
            _context.CopySequence(sequence, slot.Sequence);
            slot.Position = prompt.PrefixTokenCount;
            slot.ReusedTokens = hit ? prompt.PrefixTokenCount : 0;
            _counters.PrefixUsed(hit, prompt.PrefixTokenCount);
        }
    }

    private void DecodePrefix(ReadOnlySpan<int> tokens, int sequence)
    {
        for (var offset = 0; offset < tokens.Length; offset += _options.BatchSize)
        {
            _batch.Clear();
            var end = Math.Min(offset + _options.BatchSize, tokens.Length);
            for (var i = offset; i < end; i++)
            {
                _batch.Add(tokens[i], i, sequence, wantLogits: false);
            }

            Decode(CancellationToken.None);
        }

        _counters.Prefilled(tokens.Length);
    }

    /// <summary>Every check's remaining prompt tokens, several checks per <c>llama_decode</c>, logits only at each check's last token.</summary>
    private void Prefill(List<Slot> slots)
    {
        while (true)
        {
            DropUnwanted(slots);
            var pending = slots.Where(s => s.IsActive && s.Position < s.Work.Prompt.Tokens.Length).ToList();
            if (pending.Count == 0)
            {
                return;
            }

            _batch.Clear();
            var finishing = new List<(Slot Slot, int Index)>();
            var room = _options.BatchSize;
            foreach (var slot in pending)
            {
                var tokens = slot.Work.Prompt.Tokens;
                var take = Math.Min(room, tokens.Length - slot.Position);
                for (var i = 0; i < take; i++)
                {
                    var position = slot.Position + i;
                    var last = position == tokens.Length - 1;
                    var index = _batch.Add(tokens[position], position, slot.Sequence, wantLogits: last);
                    if (last)
                    {
                        finishing.Add((slot, index));
                    }
                }

                slot.Position += take;
                room -= take;
                _counters.Prefilled(take);
                if (room == 0)
                {
                    break;
                }
            }

            Decode(pending.Count == 1 ? pending[0].Work.Token : CancellationToken.None);
            foreach (var (slot, index) in finishing)
            {
                var logits = _context.GetLogits(index);
                slot.UnsafeProbability = TokenProbability.Of(logits, _unsafeToken);
                slot.Generated.Add(ArgMax(logits));
            }
        }
    }

    /// <summary>Greedy decoding of the category line for the checks whose first token is <c>unsafe</c>, one token per check per step.</summary>
    private void Generate(List<Slot> generating)
    {
        while (true)
        {
            DropUnwanted(generating);
            generating.RemoveAll(s => !s.IsActive || s.Generated.Count >= _options.MaxOutputTokens || _model.Vocab.IsEndOfGeneration(s.Generated[^1]));
            if (generating.Count == 0)
            {
                return;
            }

            _batch.Clear();
            var indices = new int[generating.Count];
            for (var i = 0; i < generating.Count; i++)
            {
                var slot = generating[i];
                indices[i] = _batch.Add(slot.Generated[^1], slot.Position++, slot.Sequence, wantLogits: true);
            }

            Decode(generating.Count == 1 ? generating[0].Work.Token : CancellationToken.None);
            for (var i = 0; i < generating.Count; i++)
            {
                generating[i].Generated.Add(ArgMax(_context.GetLogits(indices[i])));
            }

            _counters.Generated(generating.Count);
        }
    }

    private void DropUnwanted(List<Slot> slots)
    {
        foreach (var slot in slots.Where(s => s.IsActive && !s.Work.IsWanted))
        {
            slot.IsActive = false;
            slot.Work.CompleteUnwanted();
            _context.RemoveSequence(slot.Sequence);
        }
    }

    private void Decode(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        _context.Decode(_batch, cancellationToken);
        _counters.Decoded(Stopwatch.GetElapsedTime(started));
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

    /// <summary>One check inside a batch: its sequence, how far its tokens are decoded, what it generated.</summary>
    private sealed class Slot(Work work, int sequence)
    {
        public Work Work { get; } = work;

        public int Sequence { get; } = sequence;

        public int Position { get; set; }

        public double UnsafeProbability { get; set; }

        public List<int> Generated { get; } = [];

        public bool IsActive { get; set; } = true;

        /// <summary>The cached earlier check this one continues, replaced by this one's prompt when it finishes.</summary>
        public ConversationCache.Entry? Continued { get; set; }

        /// <summary>Prompt tokens taken from a cached prefix or an earlier check of the chat rather than decoded for this one.</summary>
        public int ReusedTokens { get; set; }

        /// <summary>The check's decode span, or null when tracing is off.</summary>
        public Activity? Span { get; set; }
    }

    [LoggerMessage(EventId = LlamaCppEventIds.ClassifierLoaded, Level = LogLevel.Information, Message = "Llama Guard loaded: {Description}; {ContextSize} tokens per check, {Sequences} checks per batch")]
    private static partial void LogLoaded(ILogger logger, string description, int contextSize, int sequences);

    [LoggerMessage(EventId = LlamaCppEventIds.ClassificationFailed, Level = LogLevel.Error, Message = "Classification failed")]
    private static partial void LogClassificationFailed(ILogger logger, Exception exception);
}
