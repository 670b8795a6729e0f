using Guardrail.Gateway.Errors;

namespace Guardrail.Gateway.Admin;

/// <summary>An admin API error in OpenAI's shape; <see cref="Param"/> names the query parameter or body field at fault.</summary>
internal sealed record AdminErrorResult(int StatusCode, string Message, string Code, string? Param = null) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext) =>
        OpenAIError.WriteAsync(httpContext, StatusCode, Message, OpenAIError.InvalidRequest, Code, Param);

    /// <summary>400 listing every problem; the first problem's parameter is the error's <c>param</c>.</summary>
    public static AdminErrorResult Invalid(IReadOnlyList<(string Param, string Message)> problems) =>
        new(StatusCodes.Status400BadRequest, string.Join(" ", problems.Select(p => p.Message)), "invalid_parameter", problems[0].Param);
}
