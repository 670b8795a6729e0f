namespace Guardrail.LlamaCpp.Inference;

/// <summary>llama.cpp's timing counters for a context since creation or the last reset (<c>llama_perf_context</c>).</summary>
/// <param name="LoadMilliseconds">Time to load the model.</param>
/// <param name="PromptEvalMilliseconds">Time spent on batches of more than one token (prompt processing).</param>
/// <param name="EvalMilliseconds">Time spent on single-token batches (generation).</param>
/// <param name="PromptTokens">Tokens processed in prompt batches.</param>
/// <param name="EvalTokens">Tokens processed one at a time.</param>
/// <param name="GraphReuses">Times a compute graph was reused instead of rebuilt.</param>
internal sealed record LlamaPerformance(
    double LoadMilliseconds,
    double PromptEvalMilliseconds,
    double EvalMilliseconds,
    int PromptTokens,
    int EvalTokens,
    int GraphReuses);
