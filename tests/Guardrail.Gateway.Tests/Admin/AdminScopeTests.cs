using System.Net;
using System.Text;
using System.Text.Json;
using Guardrail.Auditing;
using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.Gateway.Auditing;
using Guardrail.Gateway.Tests.Infrastructure;
using Guardrail.Policies;
using Microsoft.Extensions.DependencyInjection;

namespace Guardrail.Gateway.Tests.Admin;

/// <summary>
/// Admin keys limited to tenants and roles, on a real gateway over its real audit store: decisions of three tenants,
/// written to the store directly (what the gateway writes is the moderation tests' business), read back through
/// the admin API with keys of different scopes; and the trail of what each key did.
/// </summary>
public sealed class AdminScopeTests : IAsyncLifetime
{
    private const string ReaderKey = "admin-reader-team-a-and-c-01";
    private const string LabellerKey = "admin-labeller-team-b-00002";
    private const string ExporterKey = "admin-exporter-all-tenants-3";

    private TestBackend _backend = null!;
    private GatewayServer _gateway = null!;
    private readonly Dictionary<string, string> _decisions = new(StringComparer.Ordinal);

    public async Task InitializeAsync()
    {
        _backend = await TestBackend.StartAsync();
        var settings = GatewayServer.ConfigurationFor(_backend.BaseAddress);
        AddAdminKey(settings, 1, "reader", ReaderKey, tenants: ["team-a", "team-c"], roles: ["Read"]);
        AddAdminKey(settings, 2, "labeller", LabellerKey, tenants: ["team-b"], roles: ["read", "label"]);
        AddAdminKey(settings, 3, "exporter", ExporterKey, tenants: [], roles: ["Export"]);
        _gateway = await GatewayServer.StartAsync(settings);
        var store = _gateway.Services.GetRequiredService<AuditHost>().Store;
        var ids = new AuditIdGenerator(TimeProvider.System);
        foreach (var tenant in new[] { "team-a", "team-b", "team-c" })
        {
            var record = new AuditRecord
            {
                Id = ids.Next(),
                Time = DateTimeOffset.UtcNow,
                Tenant = tenant,
                Route = "chat",
                Model = "llama-3.1-8b",
                Direction = CheckDirection.Prompt,
                Verdict = GuardOutcome.Unsafe,
                Action = ModerationAction.Block,
                Categories = ["S1"],
                UnsafeProbability = 0.9,
                Threshold = 0.5,
                PolicyId = "default",
                PolicyVersion = "v1",
                Content = $"a prompt of {tenant}",
            };
            await store.WriteAsync(record, AuditDurability.Full, CancellationToken.None);
            _decisions[tenant] = record.Id;
        }
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
    }

    /// <summary>The OpenAPI document holds no decisions: every admin key may read it, whatever its roles and tenants.</summary>
    [Theory]
    [InlineData(ReaderKey)]
    [InlineData(LabellerKey)]
    [InlineData(ExporterKey)]
    public async Task OpenApiDocument_AnyAdminKey_Is200(string key)
    {
        using var client = _gateway.CreateClient(key);

        using var response = await client.GetAsync("/admin/v1/openapi.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.StartsWith("3.1", document.RootElement.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task ListAndStats_ScopedKey_SeeOnlyItsTenants()
    {
        using var reader = _gateway.CreateClient(ReaderKey);

        var listed = await TenantsAsync(reader, "/admin/v1/decisions");
        var askedForOther = await TenantsAsync(reader, "/admin/v1/decisions?tenant=team-b");
        using var stats = JsonDocument.Parse(await reader.GetStringAsync(new Uri("/admin/v1/stats", UriKind.Relative)));
        var everyTenant = await TenantsAsync(_gateway.CreateClient(GatewayServer.AdminKey), "/admin/v1/decisions");

        Assert.Equal(["team-a", "team-c"], listed.Order(StringComparer.Ordinal));
        Assert.Empty(askedForOther);
        Assert.Equal(2, stats.RootElement.GetProperty("total").GetInt64());
        Assert.Equal(["team-a", "team-b", "team-c"], everyTenant.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task GetAndLabel_OtherTenantsDecision_Is404LikeAMissingOne()
    {
        using var reader = _gateway.CreateClient(ReaderKey);
        using var labeller = _gateway.CreateClient(LabellerKey);

        using var own = await reader.GetAsync(new Uri($"/admin/v1/decisions/{_decisions["team-a"]}", UriKind.Relative));
        using var other = await reader.GetAsync(new Uri($"/admin/v1/decisions/{_decisions["team-b"]}", UriKind.Relative));
        using var labelOther = await labeller.PostAsync(new Uri($"/admin/v1/decisions/{_decisions["team-a"]}/label", UriKind.Relative), LabelBody());
        using var labelOwn = await labeller.PostAsync(new Uri($"/admin/v1/decisions/{_decisions["team-b"]}/label", UriKind.Relative), LabelBody());

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal("decision_not_found", await ErrorCodeAsync(other));
        Assert.Equal(HttpStatusCode.NotFound, labelOther.StatusCode);
        Assert.Equal(HttpStatusCode.OK, labelOwn.StatusCode);
        using var unlabelled = JsonDocument.Parse(await _gateway.CreateClient(GatewayServer.AdminKey).GetStringAsync(new Uri($"/admin/v1/decisions/{_decisions["team-a"]}", UriKind.Relative)));
        Assert.Equal(JsonValueKind.Null, unlabelled.RootElement.GetProperty("label").ValueKind);
    }

    [Theory]
    [InlineData(ReaderKey, "POST", "label", "admin_role_required")]
    [InlineData(ReaderKey, "GET", "export", "admin_role_required")]
    [InlineData(ExporterKey, "GET", "list", "admin_role_required")]
    [InlineData(LabellerKey, "GET", "actions", "unscoped_admin_key_required")]
    [InlineData(ExporterKey, "GET", "actions", "unscoped_admin_key_required")]
    public async Task Request_RoleTheKeyLacks_Is403NamingIt(string key, string method, string what, string code)
    {
        using var client = _gateway.CreateClient(key);
        var path = what switch
        {
            "label" => $"/admin/v1/decisions/{_decisions["team-a"]}/label",
            "export" => "/admin/v1/decisions/export",
            "list" => "/admin/v1/decisions",
            _ => "/admin/v1/actions",
        };
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "POST" ? LabelBody() : null };

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(code, await ErrorCodeAsync(response));
    }

    [Fact]
    public async Task Export_KeyWithExportRoleOnly_ExportsEveryTenant()
    {
        using var exporter = _gateway.CreateClient(ExporterKey);

        var lines = (await exporter.GetStringAsync(new Uri("/admin/v1/decisions/export?format=jsonl", UriKind.Relative)))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(3, lines.Length);
    }

    [Fact]
    public async Task Actions_UnscopedAdmin_ListsWhoDidWhatNewestFirst()
    {
        using var reader = _gateway.CreateClient(ReaderKey);
        using var labeller = _gateway.CreateClient(LabellerKey);
        using var admin = _gateway.CreateClient(GatewayServer.AdminKey);
        (await reader.GetAsync(new Uri("/admin/v1/decisions?tenant=team-a&limit=5", UriKind.Relative))).Dispose();
        (await reader.GetAsync(new Uri($"/admin/v1/decisions/{_decisions["team-b"]}", UriKind.Relative))).Dispose();
        (await labeller.PostAsync(new Uri($"/admin/v1/decisions/{_decisions["team-b"]}/label", UriKind.Relative), LabelBody())).Dispose();

        using var all = JsonDocument.Parse(await admin.GetStringAsync(new Uri("/admin/v1/actions", UriKind.Relative)));
        using var readerOnly = JsonDocument.Parse(await admin.GetStringAsync(new Uri("/admin/v1/actions?key_id=reader&limit=1", UriKind.Relative)));
        using var bad = await admin.GetAsync(new Uri("/admin/v1/actions?limit=0&tenant=x", UriKind.Relative));

        var actions = all.RootElement.GetProperty("data").EnumerateArray()
            .Select(a => (Key: a.GetProperty("key_id").GetString(), Action: a.GetProperty("action").GetString(), Target: a.GetProperty("target").GetString()))
            .ToList();
        // Newest first; the listing of the trail is itself on it. A read of another tenant's decision is recorded although it found nothing.
        Assert.Equal(("admin", "admin_actions", null), actions[0]);
        Assert.Equal(("labeller", "admin_label", _decisions["team-b"]), actions[1]);
        Assert.Equal(("reader", "admin_decision", _decisions["team-b"]), actions[2]);
        Assert.Equal(("reader", "admin_decisions", "?tenant=team-a&limit=5"), actions[3]);
        var page = readerOnly.RootElement.GetProperty("data").EnumerateArray().Single();
        Assert.Equal("admin_decision", page.GetProperty("action").GetString());
        Assert.Equal(JsonValueKind.Number, readerOnly.RootElement.GetProperty("next_cursor").ValueKind);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    private static void AddAdminKey(Dictionary<string, string?> settings, int index, string id, string key, string[] tenants, string[] roles)
    {
        settings[$"Guardrail:Auth:AdminKeys:{index}:Id"] = id;
        settings[$"Guardrail:Auth:AdminKeys:{index}:Key"] = key;
        for (var i = 0; i < tenants.Length; i++)
        {
            settings[$"Guardrail:Auth:AdminKeys:{index}:Tenants:{i}"] = tenants[i];
        }

        for (var i = 0; i < roles.Length; i++)
        {
            settings[$"Guardrail:Auth:AdminKeys:{index}:Roles:{i}"] = roles[i];
        }
    }

    private static StringContent LabelBody() => new("""{"label": "confirmed", "reviewer": "rita"}""", Encoding.UTF8, "application/json");

    private static async Task<List<string>> TenantsAsync(HttpClient client, string path)
    {
        using var page = JsonDocument.Parse(await client.GetStringAsync(new Uri(path, UriKind.Relative)));
        return [.. page.RootElement.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("tenant").GetString()!)];
    }

    private static async Task<string?> ErrorCodeAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error").GetProperty("code").GetString();
    }
}
