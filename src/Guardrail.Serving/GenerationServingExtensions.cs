using Guardrail.OpenAI;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Guardrail.Serving;

/// <summary>Registers and maps the OpenAI-compatible generation endpoints.</summary>
public static class GenerationServingExtensions
{
    /// <summary>Registers the engine (loaded when the host starts) and the endpoints' services.</summary>
    /// <exception cref="ArgumentException">Invalid options (every problem listed).</exception>
    public static IServiceCollection AddGenerationServing(this IServiceCollection services, GenerationServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid generation server options: " + string.Join(" ", errors), nameof(options));
        }

        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<GenerationEngineHost>();
        services.AddHostedService(static sp => sp.GetRequiredService<GenerationEngineHost>());
        services.AddSingleton<GenerationEndpoints>();
        return services;
    }

    /// <summary>
    /// Maps <c>POST /v1/chat/completions</c>, <c>POST /v1/completions</c> and <c>GET /v1/models</c>, behind the API key
    /// when one is configured.
    /// </summary>
    /// <exception cref="InvalidOperationException"><see cref="AddGenerationServing"/> was not called.</exception>
    public static IEndpointConventionBuilder MapGenerationServing(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var handlers = endpoints.ServiceProvider.GetService<GenerationEndpoints>()
            ?? throw new InvalidOperationException("Call services.AddGenerationServing(options) before endpoints.MapGenerationServing().");
        var group = endpoints.MapGroup("/v1");
        group.MapPost("/chat/completions", context => handlers.CompleteAsync(context, OpenAIApi.ChatCompletions));
        group.MapPost("/completions", context => handlers.CompleteAsync(context, OpenAIApi.Completions));
        group.MapGet("/models", handlers.ModelsAsync);
        return group;
    }
}
