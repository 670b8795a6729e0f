using System.Security.Cryptography;

namespace Guardrail.Gateway.LocalBackend;

/// <summary>
/// The key between the gateway and its built-in backend, new at every start and never written anywhere: the internal
/// listener is on loopback, but a process of another user on the same machine must not reach the model around
/// moderation either. YARP sets it on every request to cluster <c>local</c>, after removing the client's key.
/// </summary>
internal sealed class LocalBackendCredentials
{
    public string Key { get; } = "gr-internal-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}
