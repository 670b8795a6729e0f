using Guardrail.Classification;
using Guardrail.Policies;

namespace Guardrail.Core.Tests.Policies;

public sealed class PolicySnapshotTests
{
    private const string Default = "id: default\ndefault: true\ntaxonomy: llama-guard-3\n";

    private static PolicySnapshot Routing() => PolicyTestFiles.Snapshot(
        ("00-default.yaml", Default),
        ("10-acme-llama.yaml", "id: acme-llama\ntaxonomy: llama-guard-3\napplies_to:\n  tenants: [acme]\n  models: [\"llama-3.1-*\"]\n"),
        ("20-acme.yaml", "id: acme\ntaxonomy: llama-guard-3\napplies_to:\n  tenants: [acme]\n"),
        ("30-chat-route.yaml", "id: chat-route\ntaxonomy: llama-guard-3\napplies_to:\n  routes: [chat]\n"),
        ("40-only-by-id.yaml", "id: only-by-id\ntaxonomy: llama-guard-3\n"));

    [Theory]
    [InlineData("acme", "llama-3.1-8b", "chat", null, "acme-llama")]
    [InlineData("acme", "llama-3.1-8b", "chat", "only-by-id", "only-by-id")]
    [InlineData("acme", "mistral", "chat", null, "acme")]
    [InlineData("acme", null, null, null, "acme")]
    [InlineData("globex", "llama-3.1-8b", "chat", null, "chat-route")]
    [InlineData("globex", "llama-3.1-8b", "other", null, "default")]
    [InlineData(null, null, null, null, "default")]
    [InlineData("ACME", "llama-3.1-8b", "other", null, "default")]
    public void Resolve_Request_ExplicitThenFirstMatchInFileOrderThenDefault(string? tenant, string? model, string? route, string? explicitId, string expected) =>
        Assert.Equal(expected, Routing().Resolve(tenant, model, route, explicitId).Id);

    [Fact]
    public void Resolve_OverlappingAppliesTo_FileNameOrderNotListingOrderDecides()
    {
        var first = PolicyTestFiles.Snapshot(("b.yaml", "id: b\ntaxonomy: llama-guard-3\napplies_to: {tenants: [t]}\n"), ("a.yaml", "id: a\ntaxonomy: llama-guard-3\napplies_to: {tenants: [t]}\n"), ("z.yaml", Default));

        Assert.Equal(["a", "b", "default"], first.Policies.Select(policy => policy.Id));
        Assert.Equal("a", first.Resolve("t", null, null).Id);
    }

    [Fact]
    public void Resolve_UnknownExplicitId_Throws() =>
        Assert.Throws<KeyNotFoundException>(() => Routing().Resolve("acme", null, null, "missing"));

    [Fact]
    public void Version_SameFilesInAnotherOrder_IsEqual()
    {
        var files = new[] { ("a.yaml", Default), ("b.yaml", "id: b\ntaxonomy: llama-guard-3\n") };

        var forward = PolicyTestFiles.Snapshot(files);
        var backward = PolicyTestFiles.Snapshot([.. files.Reverse()]);

        Assert.Equal(forward.Version, backward.Version);
        Assert.Matches("^[0-9a-f]{64}$", forward.Version);
    }

    [Fact]
    public void Version_LineEndingsAndByteOrderMark_DoNotChangeIt()
    {
        var plain = PolicyTestFiles.Snapshot(("a.yaml", Default));
        var windows = PolicyTestFiles.Snapshot(("a.yaml", "\uFEFF" + Default.Replace("\n", "\r\n", StringComparison.Ordinal)));

        Assert.Equal(plain.Version, windows.Version);
        Assert.Equal(plain.Default.ContentHash, windows.Default.ContentHash);
    }

    [Fact]
    public void Version_AnyContentOrNameChange_ChangesItAndOnlyTheChangedPolicysHash()
    {
        var before = PolicyTestFiles.Snapshot(("a.yaml", Default), ("b.yaml", "id: b\ntaxonomy: llama-guard-3\n"));
        var edited = PolicyTestFiles.Snapshot(("a.yaml", Default), ("b.yaml", "id: b\ntaxonomy: llama-guard-3\nthreshold: 0.6\n"));
        var renamed = PolicyTestFiles.Snapshot(("a.yaml", Default), ("c.yaml", "id: b\ntaxonomy: llama-guard-3\n"));

        Assert.NotEqual(before.Version, edited.Version);
        Assert.NotEqual(before.Version, renamed.Version);
        Assert.Equal(before.Find("default")!.ContentHash, edited.Find("default")!.ContentHash);
        Assert.NotEqual(before.Find("b")!.ContentHash, edited.Find("b")!.ContentHash);
    }

    [Fact]
    public void ContentHash_TaxonomyChange_ChangesEveryPolicyOfIt()
    {
        var policies = new[] { new PolicySourceFile("a.yaml", Default) };
        var changedTaxonomy = PolicyTestFiles.Taxonomy with
        {
            Text = PolicyTestFiles.Taxonomy.Text.Replace("name: Hate", "name: Hate Speech", StringComparison.Ordinal),
        };

        var before = PolicyLoader.Load(policies, [PolicyTestFiles.Taxonomy]).GetValueOrThrow();
        var after = PolicyLoader.Load(policies, [changedTaxonomy]).GetValueOrThrow();

        Assert.NotEqual(before.Default.ContentHash, after.Default.ContentHash);
        Assert.NotEqual(before.Version, after.Version);
    }

    [Fact]
    public void Warnings_OneBillionModelAndS14Sent_WarnsAtTheSettingThatSendsIt()
    {
        var snapshot = PolicyTestFiles.Snapshot(
            ("a.yaml", Default + "default_action: block\n"),
            ("b.yaml", "id: b\ntaxonomy: llama-guard-3\ncategories:\n  S14: flag\n"),
            ("c.yaml", "id: c\ntaxonomy: llama-guard-3\ncategories:\n  S14: off\n"));

        var warnings = snapshot.Warnings(GuardModelVariant.LlamaGuard3OneB);

        Assert.Equal(["a.yaml:4:17", "b.yaml:4:3"], warnings.Select(warning => $"{warning.File}:{warning.Line}:{warning.Column}"));
        Assert.Contains(
            "policy 'default' enables S14 (Code Interpreter Abuse), which llama-guard-3-1b was not trained on (known to 8B): it is left out of this model's prompts",
            warnings[0].Message,
            StringComparison.Ordinal);
        Assert.Contains("policy 'b' enables S14", warnings[1].Message, StringComparison.Ordinal);
        Assert.Empty(snapshot.Warnings(GuardModelVariant.LlamaGuard3EightB));
    }

    [Fact]
    public void Warnings_InheritedWithoutDefaultAction_PointsAtTaxonomy()
    {
        var warning = Assert.Single(PolicyTestFiles.Snapshot(("a.yaml", Default)).Warnings(GuardModelVariant.LlamaGuard3OneB));

        Assert.Equal("a.yaml:3:11", $"{warning.File}:{warning.Line}:{warning.Column}");
    }

    [Fact]
    public void Warnings_UnknownVariant_NamesEachSentCategoryNotEveryModelKnows()
    {
        var snapshot = PolicyTestFiles.Snapshot(
            ("a.yaml", Default),
            ("b.yaml", "id: b\ntaxonomy: llama-guard-3\ncategories:\n  S14: off\n"),
            ("c.yaml", """
                id: c
                taxonomy: llama-guard-3
                categories:
                  S14: off
                custom_categories:
                  - code: S15
                    name: Competitor Promotion
                    description: Messages that praise competing products.
                """));

        var warning = Assert.Single(snapshot.Warnings(GuardModelVariant.Unknown));

        Assert.Equal("a.yaml", warning.File);
        Assert.Contains("policy 'default' sends S14 (Code Interpreter Abuse) to a model of unknown variant", warning.Message, StringComparison.Ordinal);
        Assert.Contains("known to 8B", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Warnings_CustomCategoryWithEitherModel_NeverWarns()
    {
        var snapshot = PolicyTestFiles.Snapshot(("a.yaml", Default + """
            categories:
              S14: off
            custom_categories:
              - code: S15
                name: Competitor Promotion
                description: Messages that praise competing products.
            """));

        Assert.Empty(snapshot.Warnings(GuardModelVariant.LlamaGuard3OneB));
        Assert.Empty(snapshot.Warnings(GuardModelVariant.LlamaGuard3EightB));
    }

    [Fact]
    public void ShadowOf_PolicyWithAndWithoutShadow_FindsIt()
    {
        var snapshot = PolicyTestFiles.Snapshot(("a.yaml", Default + "shadow: b\n"), ("b.yaml", "id: b\ntaxonomy: llama-guard-3\n"));

        Assert.Equal("b", snapshot.ShadowOf(snapshot.Default)!.Id);
        Assert.Null(snapshot.ShadowOf(snapshot.Find("b")!));
    }
}
