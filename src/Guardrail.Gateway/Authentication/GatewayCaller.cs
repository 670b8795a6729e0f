namespace Guardrail.Gateway.Authentication;

/// <summary>Who sent the request: set on <see cref="HttpContext.Features"/> once the gateway key is checked.</summary>
/// <param name="Tenant">The tenant the key belongs to.</param>
/// <param name="KeyId">The key's non-secret id; never the key itself.</param>
public sealed record GatewayCaller(string Tenant, string KeyId)
{
    /// <summary>The caller of a request without a key when anonymous access is allowed.</summary>
    public static GatewayCaller Anonymous { get; } = new("anonymous", "anonymous");
}
