using Guardrail.Classification;

namespace Guardrail.LlamaCpp.Classification;

/// <summary>Settings of the in-process Llama Guard classifier.</summary>
public sealed record LlamaGuardClassifierOptions
{
    /// <summary>Path of the Llama Guard 3 GGUF file (1B or 8B, any quantisation llama.cpp reads).</summary>
    public required string ModelPath { get; init; }

    /// <summary>
    /// Which Llama Guard variant the file holds, when its metadata does not say or says wrong; null (default) reads it
    /// from the file (<see cref="LlamaGuardClassifier.DetectedVariant"/>). Decides which categories prompts list.
    /// </summary>
    public GuardModelVariant? Variant { get; init; }

    /// <summary>Layers offloaded to the GPU: -1 (default) all of them, 0 none.</summary>
    public int GpuLayers { get; init; } = -1;

    /// <summary>
    /// Tokens one check may use: the prompt (instructions, categories and conversation) plus the verdict must fit.
    /// Longer conversations are truncated, oldest turns first. Default 4096; range 512 to 131072. The llama
    /// context holds <see cref="MaxBatchSequences"/> checks of this size plus the cached prompt prefixes.
    /// </summary>
    public int ContextSize { get; init; } = 4096;

    /// <summary>Checks decoded together in one <c>llama_decode</c> batch. Default 4; range 1 to 64.</summary>
    public int MaxBatchSequences { get; init; } = 4;

    /// <summary>
    /// Decode the prompt prefix (instructions and categories, the same for every check of a policy and direction)
    /// once and share its KV state with each check. Default true; false only to measure what it saves.
    /// </summary>
    public bool PrefixReuse { get; init; } = true;

    /// <summary>Prompt prefixes kept, least recently used out. Default 4; range 1 to 64.</summary>
    public int PrefixCacheSize { get; init; } = 4;

    /// <summary>Longest prefix kept in the cache, in tokens; a longer one is decoded with each check. Default 1024.</summary>
    public int MaxPrefixTokens { get; init; } = 1024;

    /// <summary>KV cells kept for earlier checks' prompts, so that a chat's next check decodes only its new messages
    /// and closing lines (<see cref="ConversationCache"/>); 0 turns that off. Needs <see cref="PrefixReuse"/>.</summary>
    public int ConversationCacheTokens { get; init; } = 4096;

    /// <summary>Earlier checks' prompts kept at most (one llama sequence each); a chat keeps about one per role.</summary>
    public int ConversationCacheSize { get; init; } = 16;

    /// <summary>llama.cpp's most sequences in one context (<c>LLAMA_MAX_SEQ</c>).</summary>
    internal const int MaxSequences = 256;

    /// <summary>Whether earlier checks' prompts are kept and reused.</summary>
    internal bool ReusesConversations => PrefixReuse && ConversationCacheTokens > 0;

    /// <summary>Longest a check may wait and run before it fails as a classifier error. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Tokens decoded per <c>llama_decode</c> call while reading a prompt. Default 512.</summary>
    public int BatchSize { get; init; } = 512;

    /// <summary>CPU threads for decoding; 0 (default) lets llama.cpp use every core.</summary>
    public int Threads { get; init; }

    /// <summary>
    /// Most tokens generated for a verdict (<c>unsafe</c>, a newline, the category codes and the end token).
    /// Meta uses 10 to 20. Default 20.
    /// </summary>
    public int MaxOutputTokens { get; init; } = 20;

    /// <summary>Requests that may wait for the classifier; one more is refused at once as a classifier error. Default 256.</summary>
    public int QueueCapacity { get; init; } = 256;

    /// <summary>
    /// The most of <see cref="QueueCapacity"/> one tenant's waiting checks may hold; one more of that tenant's is refused
    /// at once as a classifier error, so a flooding tenant cannot fill the queue for the others. Default 0.5; range
    /// above 0 to 1 (1: no tenant limit beyond the queue's).
    /// </summary>
    public double TenantQueueShare { get; init; } = 0.5;

    /// <summary>
    /// Weights of the round robin over tenants' queues: while several tenants wait, each takes its weight of checks
    /// in turn. Tenants not named weigh 1. Range 1 to 1000.
    /// </summary>
    public IReadOnlyDictionary<string, int> TenantWeights { get; init; } = new Dictionary<string, int>(StringComparer.Ordinal);

    /// <summary>The most checks one tenant may have waiting: <see cref="TenantQueueShare"/> of the queue, at least one.</summary>
    public int TenantQueueCapacity => Math.Max(1, (int)Math.Ceiling(QueueCapacity * TenantQueueShare));

    /// <summary>Errors in these settings, each naming the setting and its range; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(ModelPath))
        {
            errors.Add("ModelPath is missing: name a Llama Guard 3 GGUF file.");
        }

        if (ContextSize is < 512 or > 131072)
        {
            errors.Add($"ContextSize {ContextSize} is outside 512 to 131072.");
        }

        if (BatchSize is < 1 or > 8192)
        {
            errors.Add($"BatchSize {BatchSize} is outside 1 to 8192.");
        }

        if (MaxOutputTokens is < 2 or > 64)
        {
            errors.Add($"MaxOutputTokens {MaxOutputTokens} is outside 2 to 64.");
        }

        if (QueueCapacity is < 1 or > 65536)
        {
            errors.Add($"QueueCapacity {QueueCapacity} is outside 1 to 65536.");
        }

        if (MaxBatchSequences is < 1 or > 64)
        {
            errors.Add($"MaxBatchSequences {MaxBatchSequences} is outside 1 to 64.");
        }

        if (PrefixCacheSize is < 1 or > 64)
        {
            errors.Add($"PrefixCacheSize {PrefixCacheSize} is outside 1 to 64.");
        }

        if (ConversationCacheTokens is < 0 or > 1_048_576)
        {
            errors.Add($"ConversationCacheTokens {ConversationCacheTokens} is outside 0 to 1048576.");
        }

        if (ConversationCacheSize is < 1 or > 128)
        {
            errors.Add($"ConversationCacheSize {ConversationCacheSize} is outside 1 to 128.");
        }

        if (PrefixCacheSize + ConversationCacheSize + MaxBatchSequences > MaxSequences)
        {
            errors.Add($"PrefixCacheSize, ConversationCacheSize and MaxBatchSequences add up to more than llama.cpp's {MaxSequences} sequences.");
        }

        if (MaxPrefixTokens is < 64 or > 16384)
        {
            errors.Add($"MaxPrefixTokens {MaxPrefixTokens} is outside 64 to 16384.");
        }

        if (RequestTimeout <= TimeSpan.Zero)
        {
            errors.Add($"RequestTimeout {RequestTimeout} must be positive.");
        }

        if (!(TenantQueueShare > 0 && TenantQueueShare <= 1))
        {
            errors.Add($"TenantQueueShare {TenantQueueShare} is outside (0, 1].");
        }

        foreach (var (tenant, weight) in TenantWeights)
        {
            if (weight is < 1 or > 1000)
            {
                errors.Add($"TenantWeights:{tenant} {weight} is outside 1 to 1000.");
            }
        }

        if (Threads < 0)
        {
            errors.Add($"Threads {Threads} is negative: use 0 for every core.");
        }

        return errors;
    }
}
