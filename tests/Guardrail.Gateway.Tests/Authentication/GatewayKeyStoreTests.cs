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

    [Fact]
    public void ReplaceFileKeys_RemovedKeyWithOverlap_WorksUntilTheOverlapEndsOrItExpires()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        var store = new GatewayKeyStore(Keys, time: time);
        GatewayKeyOptions early = new() { Id = "early", Tenant = "c", Key = "key-for-tenant-c-0003", Expires = time.GetUtcNow().AddMinutes(2) };
        GatewayKeyOptions late = new() { Id = "late", Tenant = "d", Key = "key-for-tenant-d-0004" };
        store.ReplaceFileKeys([early, late], [], TimeSpan.FromMinutes(5));

        Assert.Equal(2, store.ReplaceFileKeys([], [], TimeSpan.FromMinutes(5)));
        time.Advance(TimeSpan.FromMinutes(2));

        Assert.False(store.TryAuthenticate("key-for-tenant-c-0003", out _));
        Assert.True(store.TryAuthenticate("key-for-tenant-d-0004", out _));
        // A later reload does not restart the overlap of a key already in it.
        store.ReplaceFileKeys([], [], TimeSpan.FromMinutes(5));
        time.Advance(TimeSpan.FromMinutes(3));
        Assert.False(store.TryAuthenticate("key-for-tenant-d-0004", out _));
        Assert.True(store.TryAuthenticate("key-for-tenant-a-0001", out _));
    }

    [Fact]
    public void ReplaceFileKeys_NoOverlap_RefusesARemovedKeyAtOnce()
    {
        var store = new GatewayKeyStore(Keys);
        store.ReplaceFileKeys([new() { Id = "c", Tenant = "c", Key = "key-for-tenant-c-0003" }], [], TimeSpan.Zero);
        Assert.True(store.TryAuthenticate("key-for-tenant-c-0003", out var caller));
        Assert.Equal(new GatewayCaller("c", "c"), caller);

        Assert.Equal(0, store.ReplaceFileKeys([], [], TimeSpan.Zero));

        Assert.False(store.TryAuthenticate("key-for-tenant-c-0003", out _));
    }
}
