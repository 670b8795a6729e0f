using Guardrail.Conversations;

namespace Guardrail.OpenAI;

/// <summary>Which OpenAI API a request body belongs to.</summary>
public enum OpenAIApi
{
    /// <summary><c>POST /v1/chat/completions</c>.</summary>
    ChatCompletions,

    /// <summary><c>POST /v1/completions</c> (legacy text completions).</summary>
    Completions,

    /// <summary><c>POST /v1/responses</c> (the Responses API).</summary>
    Responses,
}

/// <summary>What moderation needs from an OpenAI chat completion, legacy completion or Responses request.</summary>
public sealed record OpenAIRequest
{
    /// <summary>The API the body was parsed as.</summary>
    public required OpenAIApi Api { get; init; }

    /// <summary>The <c>model</c> field, used to resolve the policy.</summary>
    public required string Model { get; init; }

    /// <summary>
    /// The conversations to check before forwarding: one for a chat request (its messages, system messages kept
    /// aside) or a Responses request (its <c>input</c>, <c>instructions</c> kept aside as a system message), one per prompt for a legacy completion request with an array of prompts.
    /// </summary>
    public required IReadOnlyList<Conversation> Conversations { get; init; }

    /// <summary><c>stream</c>: the response comes as server-sent events.</summary>
    public bool Stream { get; init; }

    /// <summary><c>n</c>: how many choices the backend returns per prompt; every one is checked.</summary>
    public int ChoiceCount { get; init; } = 1;

    /// <summary><c>stream_options.include_usage</c>: a final usage chunk follows the last choice chunk.</summary>
    public bool IncludeUsage { get; init; }

    /// <summary>
    /// Responses API <c>previous_response_id</c>: the backend prepends a stored conversation the gateway never sees.
    /// Only what the request itself carries is checked; the id is forwarded unchanged.
    /// </summary>
    public string? PreviousResponseId { get; init; }

    /// <summary>Kinds of content parts Llama Guard cannot read (e.g. <c>image_url</c>), in order of first appearance.</summary>
    public IReadOnlyList<string> UnmoderatedPartKinds { get; init; } = [];
}

/// <summary>A parse outcome: the request, or the first error found (OpenAI reports one error at a time).</summary>
public sealed record OpenAIParseResult
{
    /// <summary>The parsed request, when the body is valid.</summary>
    public OpenAIRequest? Request { get; init; }

    /// <summary>What is wrong, when the body is not valid.</summary>
    public OpenAIRequestError? Error { get; init; }
}
