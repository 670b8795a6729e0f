using System.CommandLine;
using System.Globalization;
using System.Net;
using Guardrail.LlamaCpp.Gguf;
using Guardrail.LlamaCpp.Inference;
using Guardrail.LlamaCpp.Native;
using Guardrail.Serving;
using Microsoft.Extensions.Logging;

namespace Guardrail.Cli.Commands;

/// <summary>
/// <c>guardrail serve</c>: the gateway's built-in generation server on its own, OpenAI-compatible, for a Llama 3
/// model or for a Llama Guard model that remote gateways use as their classifier (completions with logprobs, prompts
/// as token ids). Without an API key it listens on loopback addresses only.
/// </summary>
internal static class ServeCommand
{
    /// <summary>Environment variable for the API key, so that it need not appear in a process list.</summary>
    public const string ApiKeyVariable = "GUARDRAIL_SERVE_API_KEY";

    public static Command Create(ILoggerFactory loggerFactory)
    {
        var model = new Option<FileInfo>("--model") { Description = "The GGUF model to serve.", Required = true };
        var host = new Option<string>("--host") { Description = "Address to listen on (default 127.0.0.1; another address needs an API key).", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Port to listen on (default 8080; 0 picks a free one).", DefaultValueFactory = _ => 8080 };
        var parallel = new Option<int>("--parallel") { Description = "Requests generated together (default 4).", DefaultValueFactory = _ => 4 };
        var gpuLayers = EngineOptions.GpuLayers(-1);
        var context = new Option<int>("--context") { Description = "Tokens per request, prompt plus completion (default 4096).", DefaultValueFactory = _ => 4096 };
        var threads = EngineOptions.Threads();
        var queue = new Option<int>("--queue") { Description = "Requests that may wait while every sequence is busy (default 64); more are answered 503.", DefaultValueFactory = _ => 64 };
        var modelId = new Option<string>("--model-id") { Description = "The model's name in /v1/models (default: the file name)." };
        var noPromptReuse = new Option<bool>("--no-prompt-reuse") { Description = "Decode every prompt whole instead of starting on the longest prefix a sequence's kept KV cells share with it." };
        var command = new Command("serve", $"Serve a GGUF model over OpenAI's /v1/chat/completions, /v1/completions and /v1/models (API key: {ApiKeyVariable}).")
        {
            model, host, port, parallel, gpuLayers, context, threads, queue, modelId, noPromptReuse,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new GenerationServerOptions
            {
                ModelPath = parse.GetValue(model)!.FullName,
                ModelId = parse.GetValue(modelId),
                Parallel = parse.GetValue(parallel),
                GpuLayers = parse.GetValue(gpuLayers),
                ContextSize = parse.GetValue(context),
                Threads = parse.GetValue(threads),
                QueueCapacity = parse.GetValue(queue),
                BatchSize = Math.Max(512, parse.GetValue(parallel)),
                ReusePrompts = !parse.GetValue(noPromptReuse),
                ApiKey = Environment.GetEnvironmentVariable(ApiKeyVariable) is { Length: > 0 } key ? key : null,
            };
            return await RunAsync(options, parse.GetValue(host)!, parse.GetValue(port), loggerFactory, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken);
        });
        return command;
    }

    internal static async Task<int> RunAsync(GenerationServerOptions options, string host, int port, ILoggerFactory loggerFactory, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var errors = new List<string>(options.Validate());
        if (port is < 0 or > 65535)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"--port must be 0 to 65535, was {port}."));
        }

        if (!IPAddress.TryParse(host, out var address) && !string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"--host must be an IP address or localhost, was '{host}'.");
        }
        else if (options.ApiKey is null && address is not null && !IPAddress.IsLoopback(address))
        {
            errors.Add($"--host {host} is reachable from other machines: set {ApiKeyVariable} to an API key (16 characters or more) that clients must send, or serve on 127.0.0.1.");
        }

        if (errors.Count > 0)
        {
            foreach (var error in errors)
            {
                stderr.WriteLine($"error: {error}");
            }

            return 2;
        }

        var hostPart = address is { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } ? $"[{host}]" : host;
        GenerationServer server;
        try
        {
            server = await GenerationServer.StartAsync(options, string.Create(CultureInfo.InvariantCulture, $"http://{hostPart}:{port}"), loggerFactory, cancellationToken);
        }
        catch (Exception error) when (error is GgufFormatException or NativeRuntimeException or LlamaInferenceException or NotSupportedException or IOException)
        {
            stderr.WriteLine($"error: {error.Message}");
            return 1;
        }

        await using (server)
        {
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"serving {options.EffectiveModelId} at {new Uri(server.BaseAddress, "/v1")} ({options.Parallel} sequences of {options.ContextSize} tokens{(options.ApiKey is null ? string.Empty : ", API key required")}); Ctrl+C or SIGTERM stops"));
            await stdout.FlushAsync(CancellationToken.None);
            // Until Ctrl+C (the command's token) or SIGTERM: the web host's console lifetime takes SIGTERM, keeps the
            // process alive and stops the application, which the command line's token never hears of; waiting on the
            // application's shutdown serves both. Then stop taking requests, end the running ones, free the model.
            await server.WaitForShutdownAsync(cancellationToken);
        }

        return 0;
    }
}
