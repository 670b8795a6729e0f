using Guardrail.Gateway.Authentication;

namespace Guardrail.Gateway.Limits;

/// <summary>
/// The first step of every proxied route, after authentication and before the body is read or the classifier asked,
/// so that a request over its limits costs nothing: admits the request under its caller's limits or answers 429, and
/// puts the <c>x-ratelimit-*</c> headers on whatever the route answers. The admission stays on the context
/// (<see cref="RateLimitAdmission"/>) for the token charges of the later steps, and its concurrency leases are held
/// until the response has been sent.
/// </summary>
internal sealed class RateLimitMiddleware(RequestDelegate next, GatewayRateLimiter limiter, LimitRefusalRecorder refusals)
{
    // Without limits the next step runs directly: no state machine of this one's on the way.
    public Task InvokeAsync(HttpContext context) => limiter.Enabled ? AdmitAsync(context) : next(context);

    private async Task AdmitAsync(HttpContext context)
    {
        var admission = await limiter.AdmitAsync(context.GetCaller(), context.RequestAborted);
        context.Response.RegisterForDispose(admission);
        context.Response.OnStarting(static state =>
        {
            var (response, admitted) = ((HttpResponse, RateLimitAdmission))state;
            RateLimitHeaders.Write(response.Headers, admitted);
            return Task.CompletedTask;
        }, (context.Response, admission));

        if (admission.Refusal is { } refusal)
        {
            await refusals.RefuseAsync(context, refusal, model: null);
            return;
        }

        context.Features.Set(admission);
        await next(context);
    }
}
