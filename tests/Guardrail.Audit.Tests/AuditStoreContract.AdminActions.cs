using Guardrail.Audit.AdminActions;
using Guardrail.Audit.Labelling;
using Guardrail.Audit.Querying;
using Guardrail.Audit.Tests.TestSupport;
using Guardrail.Auditing;

namespace Guardrail.Audit.Tests;

/// <summary>Reviewers scoped to tenants, and the trail of what admins did.</summary>
public abstract partial class AuditStoreContract
{
    [Fact]
    public async Task QueryGetLabelStatsExport_TenantScope_SeeOnlyThoseTenants()
    {
        await using var store = await OpenStoreAsync();
        var ids = new AuditIdGenerator(TimeProvider.System);
        var a = AuditRecords.Simple(time: AuditRecords.Epoch, tenant: "team-a", ids: ids);
        var b = AuditRecords.Simple(time: AuditRecords.Epoch.AddMinutes(1), tenant: "team-b", ids: ids);
        var c = AuditRecords.Simple(time: AuditRecords.Epoch.AddMinutes(2), tenant: "team-c", ids: ids);
        await StoreFactory.WriteAllAsync(store, [a, b, c]);
        string[] scope = ["team-a", "team-c"];
        var label = new AuditLabelRequest { Label = AuditLabel.Confirmed, Reviewer = "scoped" };

        var page = await store.QueryAsync(new AuditQuery { Tenants = scope, Order = AuditSortOrder.OldestFirst }, CancellationToken.None);
        var narrowed = await store.QueryAsync(new AuditQuery { Tenants = scope, Tenant = "team-b" }, CancellationToken.None);
        var none = await store.QueryAsync(new AuditQuery { Tenants = [] }, CancellationToken.None);
        var stats = await store.GetStatsAsync(new AuditQuery { Tenants = scope }, CancellationToken.None);
        using var export = new StringWriter();
        var exported = await store.ExportAsync(new AuditQuery { Tenants = ["team-b"] }, Export.AuditExportFormat.JsonLines, export, CancellationToken.None);

        Assert.Equal([a.Id, c.Id], page.Records.Select(r => r.Id));
        Assert.Equal(2, page.TotalCount);
        Assert.Empty(narrowed.Records);
        Assert.Empty(none.Records);
        Assert.Equal(2, stats.Total);
        Assert.Equal(1, exported.Written);
        Assert.Contains(b.Id, export.ToString(), StringComparison.Ordinal);
        Assert.NotNull(await store.GetAsync(a.Id, CancellationToken.None, scope));
        Assert.Null(await store.GetAsync(b.Id, CancellationToken.None, scope));
        Assert.Null(await store.LabelAsync(b.Id, label, CancellationToken.None, scope));
        Assert.Null((await store.GetAsync(b.Id, CancellationToken.None))!.Label);
        Assert.Equal(AuditLabel.Confirmed, (await store.LabelAsync(c.Id, label, CancellationToken.None, scope))!.Label);
    }

    [Fact]
    public async Task ListAdminActions_Recorded_NewestFirstByKeyAndPaged()
    {
        await using var store = await OpenStoreAsync();
        var t0 = AuditRecords.Epoch;
        var recorded = new List<AdminAction>();
        foreach (var (key, action, target, minutes) in new[]
        {
            ("ana", "admin_decisions", "?tenant=team-a", 0), ("bo", "admin_label", "01ARZ3NDEKTSV4RRFFQ69G5FAV", 1),
            ("ana", "admin_export", "?format=csv", 2), ("ana", "admin_decision", (string?)null, 3),
        })
        {
            recorded.Add(await store.RecordAdminActionAsync(
                new AdminAction { Time = t0.AddMinutes(minutes), KeyId = key, Action = action, Target = target }, CancellationToken.None));
        }

        var all = await store.ListAdminActionsAsync(keyId: null, before: null, limit: 10, CancellationToken.None);
        var first = await store.ListAdminActionsAsync("ana", before: null, limit: 2, CancellationToken.None);
        var second = await store.ListAdminActionsAsync("ana", first.NextCursor, limit: 2, CancellationToken.None);

        Assert.Equal(Enumerable.Reverse(recorded), all.Actions);
        Assert.Null(all.NextCursor);
        Assert.Equal([recorded[3], recorded[2]], first.Actions);
        Assert.Equal([recorded[0]], second.Actions);
        Assert.Null(second.NextCursor);
        Assert.Equal(t0.AddMinutes(1), all.Actions[2].Time);
        await Assert.ThrowsAsync<AuditValidationException>(() => store.ListAdminActionsAsync(null, null, 0, CancellationToken.None));
    }
}
