using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Guardrail.Gateway.Moderation;

/// <summary>Gives every moderated route (<see cref="ModeratedRoute"/>) the response transform that checks its responses.</summary>
internal sealed class ResponseModerationTransformProvider : ITransformProvider
{
    private readonly ResponseModerator _moderator;

    public ResponseModerationTransformProvider(ResponseModerator moderator) => _moderator = moderator;

    // Route metadata is validated with the rest of the configuration (GatewayConfigurationValidator).
    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        if (ModeratedRoute.TryGetApi(context.Route, out _, out _))
        {
            context.AddResponseTransform(_moderator.TransformAsync);
        }
    }
}
