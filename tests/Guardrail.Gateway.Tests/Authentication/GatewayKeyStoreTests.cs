using System.Security.Cryptography;
using System.Text;
using Guardrail.Gateway.Authentication;
using Guardrail.Gateway.Configuration;

namespace Guardrail.Gateway.Tests.Authentication;

public sealed class GatewayKeyStoreTests
{
    private static readonly GatewayKeyOptions[] Keys =
    [
        new() { Id = "a", Tenant = "tenant-a", Key = "key-for-tenant-a-0001" },
        new() { Id = "b", Tenant = "tenant-b", KeyHash = "sha256:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("key-for-tenant-b-0002"))) },
    ];

    [Theory]
    [InlineData("key-for-tenant-a-0001", "tenant-a", "a")]
    [InlineData("key-for-tenant-b-0002", "tenant-b", "b")]
    public void TryAuthenticate_ConfiguredKey_ReturnsItsTenant(string key, string tenant, string keyId)
    {
        var store = new GatewayKeyStore(Keys);

        Assert.True(store.TryAuthenticate(key, out var caller));
        Assert.Equal(new GatewayCaller(tenant, keyId), caller);
    }

    [Theory]
    [InlineData("")]
    [InlineData("key-for-tenant-a-000")]
    [InlineData("key-for-tenant-a-00011")]
    [InlineData("KEY-FOR-TENANT-A-0001")]
    [InlineData("sha256:key-for-tenant-b-0002")]
    public void TryAuthenticate_OtherKey_Fails(string key)
    {
        var store = new GatewayKeyStore(Keys);

        Assert.False(store.TryAuthenticate(key, out var caller));
        Assert.Null(caller);
    }

    [Theory]
    [InlineData("sha256:00", false)]
    [InlineData("md5:0123456789abcdef0123456789abcdef", false)]
    [InlineData("sha256:zz23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false)]
    [InlineData("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true)]
    [InlineData("SHA256:0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF", true)]
    public void TryParseKeyHash_Forms_ParseOnlyWellFormedDigests(string value, bool expected)
    {
        Assert.Equal(expected, GatewayKeyStore.TryParseKeyHash(value, out var digest));
        Assert.Equal(expected ? 32 : 0, digest.Length);
    }
}
