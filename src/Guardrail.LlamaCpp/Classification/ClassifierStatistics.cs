namespace Guardrail.LlamaCpp.Classification;

/// <summary>What the classifier engine has done since it started, for metrics and benchmarks.</summary>
/// <param name="Requests">Checks completed with a verdict (safe, unsafe or error).</param>
/// <param name="Batches">Batches of checks processed together.</param>
/// <param name="LargestBatch">Most checks ever decoded together.</param>
/// <param name="LastBatchSize">Checks in the most recent batch.</param>
/// <param name="TokensPrefilled">Prompt tokens decoded (the prefix counts when it is decoded, not when reused).</param>
/// <param name="TokensReused">Prompt tokens taken from a cached prefix instead of being decoded again.</param>
/// <param name="TokensGenerated">Verdict tokens decoded after the prompt (category lines of unsafe verdicts).</param>
/// <param name="DecodeCalls">Calls to <c>llama_decode</c>.</param>
/// <param name="DecodeTime">Wall time spent inside <c>llama_decode</c>.</param>
/// <param name="PrefixHits">Checks that found their prefix cached.</param>
/// <param name="PrefixMisses">Checks whose prefix had to be decoded (and was then cached).</param>
/// <param name="ConversationHits">Checks that continued an earlier check's cached prompt (a chat's next turn), past the
/// policy prefix; their reused tokens count in <paramref name="TokensReused"/>.</param>
public sealed record ClassifierStatistics(
    long Requests,
    long Batches,
    int LargestBatch,
    int LastBatchSize,
    long TokensPrefilled,
    long TokensReused,
    long TokensGenerated,
    long DecodeCalls,
    TimeSpan DecodeTime,
    long PrefixHits,
    long PrefixMisses,
    long ConversationHits);
