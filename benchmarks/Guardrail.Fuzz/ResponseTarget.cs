using Guardrail.OpenAI;

namespace Guardrail.Fuzz;

/// <summary>
/// <c>response</c>: one backend body through the non-streamed response reader for each API. Contract: choices, or
/// null when the body is not readable, and usage counts or none; never an exception.
/// </summary>
internal static class ResponseTarget
{
    public static void Run(byte[] input)
    {
        var usage = OpenAIResponseReader.ReadUsage(input);
        if (usage.PromptTokens < 0 || usage.CompletionTokens < 0)
        {
            throw new FuzzFindingException("usage: a token count read as negative.");
        }

        foreach (var api in Enum.GetValues<OpenAIApi>())
        {
            if (OpenAIResponseReader.ReadChoices(input, api) is { } choices && choices.Any(choice => choice is null || choice.ToolCalls is null))
            {
                throw new FuzzFindingException($"{api}: a choice without its tool-call list.");
            }
        }
    }
}
