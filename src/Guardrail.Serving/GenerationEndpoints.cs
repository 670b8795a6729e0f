using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Guardrail.LlamaCpp.Generation;
using Guardrail.LlamaCpp.Inference;
using Guardrail.OpenAI;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Guardrail.Serving;

/// <summary>
/// <c>/v1/chat/completions</c>, <c>/v1/completions</c> and <c>/v1/models</c> over the generation engine. A client
/// that goes away cancels its generation (<see cref="HttpContext.RequestAborted"/>), which frees its sequence; that
/// is not an error.
/// </summary>
internal sealed partial class GenerationEndpoints(GenerationEngineHost host, GenerationServerOptions options, TimeProvider time, ILogger<GenerationEndpoints> logger)
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    private readonly long _started = time.GetUtcNow().ToUnixTimeSeconds();
    private readonly byte[]? _expectedAuthorization = options.ApiKey is { } key ? Encoding.UTF8.GetBytes("Bearer " + key.Trim()) : null;

    public async Task ModelsAsync(HttpContext context)
    {
        if (!await AuthorizedAsync(context))
        {
            return;
        }

        var body = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new
        {
            @object = "list",
            data = new[] { new { id = options.EffectiveModelId, @object = "model", created = _started, owned_by = "guardrail" } },
        });
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    public async Task CompleteAsync(HttpContext context, OpenAIApi api)
    {
        var received = time.GetTimestamp();
        if (!await AuthorizedAsync(context))
        {
            return;
        }

        var body = await ReadBodyAsync(context);
        if (body is null)
        {
            return;
        }

        var (request, error) = ServingRequestReader.Read(body.Value, api);
        if (request is null)
        {
            await OpenAIErrorResponse.WriteAsync(context, StatusCodes.Status400BadRequest, error!.Message, OpenAIErrorResponse.InvalidRequest, error.Code, error.Param);
            return;
        }

        var engine = host.Engine;
        GenerationStream stream;
        try
        {
            var prompt = request.PromptTokens
                ?? (api == OpenAIApi.ChatCompletions ? engine.TokenizeChat(request.Messages) : engine.TokenizeText(request.PromptText!));
            stream = engine.Generate(
                new GenerationRequest
                {
                    PromptTokens = prompt,
                    MaxTokens = request.MaxTokens,
                    Sampling = request.Sampling,
                    Stop = request.Stop,
                    Logprobs = request.Logprobs,
                    TopLogprobs = request.TopLogprobs,
                },
                context.RequestAborted);
        }
        catch (GenerationRejectedException e)
        {
            await RejectAsync(context, api, e);
            return;
        }
        catch (ArgumentException e)
        {
            // Token ids outside the vocabulary, or a sampling value: the request's own problem, in its own words.
            await OpenAIErrorResponse.WriteAsync(context, StatusCodes.Status400BadRequest, e.Message, OpenAIErrorResponse.InvalidRequest, OpenAIRequestError.InvalidValue, e.ParamName is "request" ? "prompt" : e.ParamName);
            return;
        }

        var writer = new CompletionWriter(
            api,
            (api == OpenAIApi.ChatCompletions ? "chatcmpl-" : "cmpl-") + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)),
            time.GetUtcNow().ToUnixTimeSeconds(),
            options.EffectiveModelId,
            request.Logprobs,
            request.Stream && request.IncludeUsage);
        try
        {
            if (request.Stream)
            {
                await StreamAsync(context, stream, writer, request.IncludeUsage);
            }
            else
            {
                await WholeAsync(context, stream, writer, received);
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            LogClientGone(logger);
        }
    }

    private async Task WholeAsync(HttpContext context, GenerationStream stream, CompletionWriter writer, long received)
    {
        var text = new StringBuilder();
        var logprobs = new List<TokenLogprob>();
        GenerationFinish finish;
        try
        {
            // Only the end is awaited: every chunk is in the (unbounded) channel by then, so the request's thread is
            // woken once per answer instead of once per token. A client that goes away cancels the generation, which
            // then ends as cancelled.
            finish = await stream.Finished;
            while (stream.Chunks.TryRead(out var chunk))
            {
                text.Append(chunk.Text);
                logprobs.AddRange(chunk.Logprobs);
            }
        }
        catch (Exception e) when (e is LlamaInferenceException or GenerationRejectedException)
        {
            await FailAsync(context, e);
            return;
        }

        if (finish.Reason == FinishReason.Cancelled)
        {
            LogClientGone(logger);
            return;
        }

        var body = writer.Whole(text.ToString(), logprobs, finish);
        context.Response.Headers[GenerationServer.ServerTimingHeader] =
            string.Create(CultureInfo.InvariantCulture, $"total;dur={time.GetElapsedTime(received).TotalMilliseconds:0.###}");
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    private async Task StreamAsync(HttpContext context, GenerationStream stream, CompletionWriter writer, bool includeUsage)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        var token = context.RequestAborted;
        var first = true;
        try
        {
            await foreach (var chunk in stream.ReadAllAsync(token))
            {
                await SendAsync(response, writer.Chunk(chunk.Text, chunk.Logprobs, first: first), token);
                first = false;
            }

            var finish = await stream.Finished;
            if (finish.Reason == FinishReason.Cancelled)
            {
                return;
            }

            await SendAsync(response, writer.Chunk(string.Empty, [], first: first, finish: finish.Reason), token);
            if (includeUsage)
            {
                await SendAsync(response, writer.UsageChunk(finish), token);
            }

            await response.Body.WriteAsync(Done, token);
            await response.Body.FlushAsync(token);
        }
        catch (Exception e) when (e is LlamaInferenceException or GenerationRejectedException)
        {
            if (!response.HasStarted)
            {
                await FailAsync(context, e);
                return;
            }

            // The status line is gone: the error goes as the stream's last event, as OpenAI's own streams do.
            LogGenerationFailed(logger, e);
            await SendAsync(response, OpenAIErrorResponse.Serialize("The model failed while generating this response.", OpenAIErrorResponse.ServerError, "generation_failed"), token);
        }
    }

    private static async Task SendAsync(HttpResponse response, byte[] json, CancellationToken token)
    {
        await response.Body.WriteAsync(DataPrefix, token);
        await response.Body.WriteAsync(json, token);
        await response.Body.WriteAsync(EventEnd, token);
        await response.Body.FlushAsync(token);
    }

    private Task FailAsync(HttpContext context, Exception e)
    {
        if (e is GenerationRejectedException { Reason: GenerationRejection.ShuttingDown })
        {
            context.Response.Headers.RetryAfter = "1";
            return OpenAIErrorResponse.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "The server is shutting down; retry on another replica.", OpenAIErrorResponse.ServerError, "server_shutting_down");
        }

        LogGenerationFailed(logger, e);
        return OpenAIErrorResponse.WriteAsync(context, StatusCodes.Status500InternalServerError, "The model failed while generating this response.", OpenAIErrorResponse.ServerError, "generation_failed");
    }

    private Task RejectAsync(HttpContext context, OpenAIApi api, GenerationRejectedException e)
    {
        LogRejected(logger, e.Reason);
        switch (e.Reason)
        {
            case GenerationRejection.ContextLengthExceeded:
                return OpenAIErrorResponse.WriteAsync(context, StatusCodes.Status400BadRequest, e.Message, OpenAIErrorResponse.InvalidRequest, "context_length_exceeded", api == OpenAIApi.ChatCompletions ? "messages" : "prompt");
            case GenerationRejection.QueueFull:
                context.Response.Headers.RetryAfter = "1";
                return OpenAIErrorResponse.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "The model is busy: every sequence is generating and the queue is full. Retry later.", OpenAIErrorResponse.ServerError, "server_overloaded");
            default:
                context.Response.Headers.RetryAfter = "1";
                return OpenAIErrorResponse.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "The server is shutting down; retry on another replica.", OpenAIErrorResponse.ServerError, "server_shutting_down");
        }
    }

    /// <summary>With an API key configured, only <c>Authorization: Bearer</c> that key passes (compared in constant time).</summary>
    private async Task<bool> AuthorizedAsync(HttpContext context)
    {
        if (_expectedAuthorization is null
            || CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(context.Request.Headers.Authorization.ToString()), _expectedAuthorization))
        {
            return true;
        }

        await OpenAIErrorResponse.WriteAsync(context, StatusCodes.Status401Unauthorized, "Missing or wrong API key: send 'Authorization: Bearer <key>'.", OpenAIErrorResponse.InvalidRequest, "invalid_api_key");
        return false;
    }

    /// <summary>
    /// The body, or null after answering 413 when it is over <see cref="GenerationServerOptions.MaxRequestBodyBytes"/>
    /// (Kestrel's own limit, set to the same value, cuts a chunked body without a length), as the gateway reads it.
    /// </summary>
    private async Task<ReadOnlyMemory<byte>?> ReadBodyAsync(HttpContext context)
    {
        var limit = options.MaxRequestBodyBytes;
        try
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            if (buffer.Length > limit)
            {
                await TooLargeAsync(context, limit);
                return null;
            }

            return buffer.ToArray();
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await TooLargeAsync(context, limit);
            return null;
        }
    }

    private static Task TooLargeAsync(HttpContext context, long limit) =>
        OpenAIErrorResponse.WriteAsync(
            context,
            StatusCodes.Status413PayloadTooLarge,
            string.Create(CultureInfo.InvariantCulture, $"The request body is larger than this server accepts ({limit} bytes)."),
            OpenAIErrorResponse.InvalidRequest,
            "request_too_large");

    [LoggerMessage(EventId = ServingEventIds.GenerationFailed, Level = LogLevel.Error, Message = "Generation failed")]
    private static partial void LogGenerationFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = ServingEventIds.RequestRejected, Level = LogLevel.Information, Message = "Generation request refused: {Reason}")]
    private static partial void LogRejected(ILogger logger, GenerationRejection reason);

    [LoggerMessage(EventId = ServingEventIds.ClientGone, Level = LogLevel.Debug, Message = "The client went away; its generation was cancelled")]
    private static partial void LogClientGone(ILogger logger);
}
