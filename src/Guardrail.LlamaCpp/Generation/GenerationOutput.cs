namespace Guardrail.LlamaCpp.Generation;

/// <summary>Why a generation ended, in OpenAI's terms.</summary>
public enum FinishReason
{
    /// <summary>The model ended its turn, or a stop string was reached (<c>stop</c>).</summary>
    Stop,

    /// <summary><c>max_tokens</c> or the request's KV budget was reached (<c>length</c>).</summary>
    Length,

    /// <summary>The caller cancelled; its sequence was freed.</summary>
    Cancelled,
}

/// <summary>A token's log probability and, when asked, the most likely alternatives at its position.</summary>
/// <param name="Token">The token's text (may be a partial UTF-8 character, then with U+FFFD).</param>
/// <param name="Bytes">The token's bytes.</param>
/// <param name="Logprob">Natural log of its probability under the model (before sampling filters).</param>
/// <param name="TopLogprobs">The most likely tokens at this position, most likely first.</param>
public sealed record TokenLogprob(string Token, byte[] Bytes, double Logprob, IReadOnlyList<TokenAlternative> TopLogprobs);

/// <summary>An alternative token at a position.</summary>
public sealed record TokenAlternative(string Token, byte[] Bytes, double Logprob);

/// <summary>Text released to the caller: never part of a stop string, never half a UTF-8 character.</summary>
/// <param name="Text">The new text.</param>
/// <param name="Logprobs">One entry per token whose text is now fully released (when logprobs were asked for).</param>
public sealed record GenerationChunk(string Text, IReadOnlyList<TokenLogprob> Logprobs);

/// <summary>How a generation ended and what it cost in tokens.</summary>
/// <param name="Reason">Why it ended.</param>
/// <param name="PromptTokens">Tokens of the prompt.</param>
/// <param name="CompletionTokens">Tokens generated.</param>
/// <param name="CachedPromptTokens">Prompt tokens whose KV was kept from the sequence's previous request and not decoded again.</param>
public sealed record GenerationFinish(FinishReason Reason, int PromptTokens, int CompletionTokens, int CachedPromptTokens = 0);
