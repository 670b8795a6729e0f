using Guardrail.Gateway.Classification;
using Guardrail.OpenAI;

namespace Guardrail.Gateway.Limits;

/// <summary>
/// Counts what token limits charge: with the Llama 3 tokenizer of the classifier's model once it is loaded, else
/// the documented estimate of one token per four characters (OpenAI's rule of thumb for English text).
/// </summary>
internal sealed class TokenCounter(ClassifierHost classifier)
{
    /// <summary>Characters per token of the estimate used while no model is loaded.</summary>
    public const int EstimatedCharactersPerToken = 4;

    /// <summary>The prompt's tokens: every turn and system message of every conversation in the request.</summary>
    public long CountPrompt(OpenAIRequest request) =>
        request.Conversations.Sum(conversation =>
            conversation.SystemMessages.Sum(Count) + conversation.Turns.Sum(turn => Count(turn.Text)));

    /// <summary>Tokens of <paramref name="text"/>.</summary>
    public long Count(string text) => text.Length == 0 ? 0 : classifier.CountTokens(text) ?? Estimate(text);

    /// <summary>The estimate: one token per four characters, rounded up.</summary>
    internal static long Estimate(string text) => (text.Length + EstimatedCharactersPerToken - 1) / EstimatedCharactersPerToken;
}
