using Guardrail.Gateway.Configuration;
using Microsoft.Extensions.Primitives;

namespace Guardrail.Gateway.Authentication;

/// <summary>
/// Admin keys (<c>Guardrail:Auth:AdminKeys</c>) open operator endpoints such as <c>/metrics</c>. They are a separate
/// set from client keys: a client key never opens an admin endpoint, and an admin key is not a tenant.
/// </summary>
internal sealed class AdminKeyStore
{
    private readonly GatewayKeyStore _keys;

    public AdminKeyStore(IEnumerable<AdminKeyOptions> keys) =>
        _keys = new GatewayKeyStore(keys.Select(k => new GatewayKeyOptions { Id = k.Id, Tenant = "admin", Key = k.Key, KeyHash = k.KeyHash }));

    public bool IsAdmin(StringValues authorization) => _keys.TryAuthenticate(authorization, out _);
}
