using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Guardrail.Gateway.Authentication;
using Guardrail.Gateway.Tests.Admin;
using Guardrail.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Guardrail.Gateway.Tests.Authentication;

/// <summary>
/// Keys from <c>Guardrail:Auth:KeyFile</c> laid out as Kubernetes mounts a Secret (the file a link through
/// <c>..data</c>, swapped by renaming a new link over it), on a real gateway. Changes made on disk are waited for with
/// a generous deadline; the overlap and expiry run on a fake clock.
/// </summary>
public sealed class GatewayKeyFileTests : IAsyncLifetime
{
    private const string OldKey = "rotating-key-old-0000000001";
    private const string NewKey = "rotating-key-new-0000000002";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly FakeLogCollector _logs = new();
    private TestBackend _backend = null!;
    private DirectoryInfo _secret = null!;
    private int _generation;

    public async Task InitializeAsync()
    {
        _backend = await TestBackend.StartAsync();
        _secret = Directory.CreateTempSubdirectory("guardrail-secret-");
    }

    public async Task DisposeAsync()
    {
        await _backend.DisposeAsync();
        _secret.Delete(recursive: true);
    }

    [Fact]
    public async Task SecretSwap_NewKeyAdded_WorksWithoutRestart()
    {
        MountSecret(Keys(("old", "team-a", OldKey, null)));
        await using var gateway = await StartAsync(TimeSpan.Zero);

        MountSecret(Keys(("old", "team-a", OldKey, null), ("new", "team-a", NewKey, null)));

        await Eventually.SucceedsAsync(async () => await StatusAsync(gateway, NewKey) == HttpStatusCode.OK, Deadline, "the new key to be accepted");
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, OldKey));
    }

    [Fact]
    public async Task SecretSwap_KeyRemovedWithoutOverlap_IsRefused()
    {
        MountSecret(Keys(("old", "team-a", OldKey, null), ("new", "team-a", NewKey, null)));
        await using var gateway = await StartAsync(TimeSpan.Zero);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, OldKey));

        MountSecret(Keys(("new", "team-a", NewKey, null)));

        await Eventually.SucceedsAsync(async () => await StatusAsync(gateway, OldKey) == HttpStatusCode.Unauthorized, Deadline, "the removed key to be refused");
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, NewKey));
    }

    [Fact]
    public async Task Reload_KeyRemovedWithOverlap_WorksUntilTheOverlapEnds()
    {
        MountSecret(Keys(("old", "team-a", OldKey, null)));
        await using var gateway = await StartAsync(TimeSpan.FromMinutes(10));
        var keyFile = gateway.Services.GetRequiredService<GatewayKeyFile>();

        MountSecret(Keys(("new", "team-a", NewKey, null)));
        keyFile.Reload();

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, NewKey));
        _time.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, OldKey));
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(gateway, OldKey));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, NewKey));
    }

    [Fact]
    public async Task Request_KeyPastItsExpiry_IsRefused()
    {
        MountSecret(Keys(("old", "team-a", OldKey, _time.GetUtcNow().AddHours(1))));
        await using var gateway = await StartAsync(TimeSpan.FromDays(1));

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, OldKey));
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(gateway, OldKey));
    }

    [Fact]
    public async Task Reload_InvalidContent_KeepsTheLastGoodKeysAndLogsEveryProblem()
    {
        MountSecret(Keys(("old", "team-a", OldKey, null)));
        await using var gateway = await StartAsync(TimeSpan.Zero);
        var keyFile = gateway.Services.GetRequiredService<GatewayKeyFile>();

        MountSecret("""{"Keys": [{"Id": "short", "Tenant": "team-a", "Key": "too-short"}, {"Tenant": "team-b", "Key": "long-enough-key-0000000003"}]}""");
        Assert.False(keyFile.Reload());

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, OldKey));
        // The watcher may have seen the change too: each rejection logs the same problems.
        var rejected = _logs.GetSnapshot().Last(r => r.Id.Id == GatewayEventIds.KeyFileRejected);
        Assert.Equal(LogLevel.Error, rejected.Level);
        Assert.Contains("Keys:0:Key is shorter than", rejected.Message, StringComparison.Ordinal);
        Assert.Contains("Keys:1:Id is missing", rejected.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("too-short", rejected.Message, StringComparison.Ordinal);

        MountSecret("not json");
        Assert.False(keyFile.Reload());
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, OldKey));
    }

    [Fact]
    public void Read_UnknownField_IsAnError()
    {
        MountSecret("""{"Keys": [{"Id": "a", "Tenant": "t", "Key": "long-enough-key-0000000004", "Expiry": "2027-01-01T00:00:00Z"}]}""");

        var read = GatewayKeyFile.Read(Path.Combine(_secret.FullName, "keys.json"));

        Assert.Null(read.Content);
        Assert.Contains(read.Errors, e => e.Contains("Expiry", StringComparison.Ordinal));
    }

    private static string Keys(params (string Id, string Tenant, string Key, DateTimeOffset? Expires)[] keys) =>
        JsonSerializer.Serialize(new { Keys = keys.Select(k => new { k.Id, k.Tenant, k.Key, k.Expires }) });

    /// <summary>What the kubelet does: the content in a new hidden directory, a new <c>..data</c> link renamed over the old.</summary>
    private void MountSecret(string content)
    {
        var generation = Path.Combine(_secret.FullName, $"..gen_{++_generation}");
        Directory.CreateDirectory(generation);
        File.WriteAllText(Path.Combine(generation, "keys.json"), content);
        var next = Path.Combine(_secret.FullName, "..data_tmp");
        File.CreateSymbolicLink(next, Path.GetFileName(generation));
        // rename(2) of the link over the old one, as the kubelet does (File.Move follows the link to a directory).
        using (var move = Process.Start("mv", ["-Tf", next, Path.Combine(_secret.FullName, "..data")]))
        {
            move.WaitForExit();
            Assert.Equal(0, move.ExitCode);
        }

        var link = Path.Combine(_secret.FullName, "keys.json");
        if (!File.Exists(link))
        {
            File.CreateSymbolicLink(link, Path.Combine("..data", "keys.json"));
        }
    }

    private Task<GatewayServer> StartAsync(TimeSpan overlap)
    {
        var settings = GatewayServer.ConfigurationFor(_backend.BaseAddress);
        foreach (var name in settings.Keys.Where(k => k.StartsWith("Guardrail:Auth:Keys", StringComparison.Ordinal)).ToList())
        {
            settings.Remove(name);
        }

        settings["Guardrail:Auth:KeyFile"] = Path.Combine(_secret.FullName, "keys.json");
        settings["Guardrail:Auth:RotationOverlap"] = overlap.ToString();
        return GatewayServer.StartAsync(settings, services: s =>
        {
            s.AddSingleton<TimeProvider>(_time);
            s.AddSingleton<ILoggerProvider>(new FakeLoggerProvider(_logs));
        });
    }

    private static async Task<HttpStatusCode> StatusAsync(GatewayServer gateway, string key)
    {
        using var client = gateway.CreateClient(key);
        using var response = await client.GetAsync(new Uri("/v1/models", UriKind.Relative));
        return response.StatusCode;
    }
}
