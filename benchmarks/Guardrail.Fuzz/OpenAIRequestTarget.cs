using Guardrail.OpenAI;

namespace Guardrail.Fuzz;

/// <summary>
/// <c>openai-request</c>: one body through the request parser as each API reads it (chat completions, legacy
/// completions, Responses) and as a moderations input. Contract: a request or an <see cref="OpenAIRequestError"/>,
/// exactly one of them, never an exception.
/// </summary>
internal static class OpenAIRequestTarget
{
    public static void Run(byte[] input)
    {
        foreach (var api in Enum.GetValues<OpenAIApi>())
        {
            var result = OpenAIRequestParser.Parse(input, api, maxMessages: 64);
            if ((result.Request is null) == (result.Error is null))
            {
                throw new FuzzFindingException($"{api}: the parse result must hold either a request or an error.");
            }

            if (result.Request is { } request && request.Conversations.Count == 0)
            {
                throw new FuzzFindingException($"{api}: a parsed request has no conversation to moderate.");
            }
        }

        var (model, inputs, error) = OpenAIRequestParser.ParseModerationInput(input, "guard", maxInputs: 32);
        if (model is null || (inputs is null) == (error is null))
        {
            throw new FuzzFindingException("moderations: the result must hold either inputs or an error, and a model.");
        }
    }
}
