namespace Guardrail.OpenAI;

/// <summary>
/// Why a request body is not a valid OpenAI request, in the terms of OpenAI's error object: a readable message,
/// the parameter at fault (e.g. <c>messages[2].content</c>) and a stable code.
/// </summary>
public sealed record OpenAIRequestError(string Message, string? Param, string Code)
{
    /// <summary>The body is not JSON, or not UTF-8.</summary>
    public const string InvalidJson = "invalid_json";

    /// <summary>A field has the wrong JSON type.</summary>
    public const string InvalidType = "invalid_type";

    /// <summary>A required field is missing or empty.</summary>
    public const string MissingField = "missing_required_parameter";

    /// <summary>A field has a value outside what is allowed.</summary>
    public const string InvalidValue = "invalid_value";
}
