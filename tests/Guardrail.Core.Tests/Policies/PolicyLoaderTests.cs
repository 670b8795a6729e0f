using Guardrail.Auditing;
using Guardrail.Diagnostics;
using Guardrail.Policies;

namespace Guardrail.Core.Tests.Policies;

public sealed class PolicyLoaderTests
{
    private const string Minimal = "id: base\ndefault: true\ntaxonomy: llama-guard-3\n";

    [Fact]
    public void LoadDirectories_ShippedPoliciesAndTaxonomy_LoadWithoutErrors()
    {
        var result = PolicyLoader.LoadDirectories(PolicyTestFiles.ShippedPoliciesDirectory, PolicyTestFiles.ShippedTaxonomyDirectory);

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        var snapshot = result.Value!;
        Assert.Equal(["default", "example-custom-category", "permissive", "strict"], snapshot.Policies.Select(policy => policy.Id).Order(StringComparer.Ordinal));
        Assert.Equal("default", snapshot.Default.Id);
        Assert.Equal(["llama-guard-3"], snapshot.Taxonomies.Select(taxonomy => taxonomy.Id));
    }

    [Fact]
    public void LoadDirectories_ShippedDefault_BlocksEverythingBothWaysWindowFailClosed()
    {
        var policy = PolicyLoader.LoadDirectories(PolicyTestFiles.ShippedPoliciesDirectory, PolicyTestFiles.ShippedTaxonomyDirectory)
            .GetValueOrThrow().Default;

        Assert.Equal(Enumerable.Range(1, 14).Select(n => $"S{n}"), policy.Categories.Select(category => category.Code));
        Assert.All(policy.Categories, category => Assert.Equal(CategoryAction.Block, category.Action));
        Assert.True(policy.CheckPrompts);
        Assert.True(policy.CheckResponses);
        Assert.Equal(StreamingMode.Window, policy.Streaming.Mode);
        Assert.Equal(ErrorAction.Block, policy.OnError);
        Assert.Equal(0.5, policy.Threshold);
        Assert.Matches("^[0-9a-f]{64}$", policy.ContentHash);
    }

    [Fact]
    public void LoadDirectories_ShippedExample_AppendsCustomCategoryAfterTaxonomy()
    {
        var policy = PolicyLoader.LoadDirectories(PolicyTestFiles.ShippedPoliciesDirectory, PolicyTestFiles.ShippedTaxonomyDirectory)
            .GetValueOrThrow().Find("example-custom-category")!;

        var custom = policy.Categories[^1];
        Assert.Equal("S15", custom.Code);
        Assert.True(custom.IsCustom);
        Assert.True(custom.Category.DescribeInPrompt);
        Assert.Equal(CategoryAction.Flag, custom.Action);
        Assert.Equal(CategoryAction.Off, policy.FindCategory("S14")!.Action);
        Assert.Equal("strict", policy.Shadow);
        Assert.Equal(ContentRetention.Hash, policy.ContentRetention);
        Assert.Equal(BlockedPromptResponse.Refusal, policy.BlockedPromptResponse);
        Assert.Equal(new StreamingSettings { Mode = StreamingMode.Window, WindowChars = 1500, OverlapChars = 300 }, policy.Streaming);
    }

    [Fact]
    public void LoadDirectories_ShippedStrictAndPermissive_AreStricterAndLooserThanDefault()
    {
        var snapshot = PolicyLoader.LoadDirectories(PolicyTestFiles.ShippedPoliciesDirectory, PolicyTestFiles.ShippedTaxonomyDirectory).GetValueOrThrow();
        var strict = snapshot.Find("strict")!;
        var permissive = snapshot.Find("permissive")!;

        Assert.True(strict.Threshold < snapshot.Default.Threshold);
        Assert.Equal(StreamingMode.Buffer, strict.Streaming.Mode);
        Assert.All(strict.Categories, category => Assert.Equal(CategoryAction.Block, category.Action));
        Assert.True(permissive.Threshold > snapshot.Default.Threshold);
        Assert.Contains(permissive.Categories, category => category.Action == CategoryAction.Flag);
        Assert.DoesNotContain(permissive.Categories, category => category.Action == CategoryAction.Off);
        Assert.Equal("default", snapshot.ShadowOf(permissive)!.Id);
    }

    [Fact]
    public void Load_FileWithManyMistakes_ReportsEveryErrorWithLineAndColumn()
    {
        const string yaml = """
            id: Bad Id
            taxonomy: llama-guard-3
            threshold: 1.5
            default_action: maybe
            colour: blue
            categories:
              S1: flag
              S99: block
              X3: block
              S2: sometimes
              S1: block
            custom_categories:
              - code: S3
                name: Collides
                description: Uses a taxonomy code.
              - code: S16
                name: Fine
                description: A fine one.
              - code: S15
                name: Out of order
                description: Comes after S16.
              - code: S16
                name: Again
                description: Duplicate.
              - code: S17
                name: No description
            checks:
              prompts: yes
            streaming:
              mode: window
              window_chars: 100
              overlap_chars: 100
            on_error: maybe
            blocked_prompt_response: teapot
            content_retention: forever
            """;

        var result = PolicyTestFiles.Load(("bad.yaml", yaml));

        Assert.False(result.Succeeded);
        Assert.Null(result.Value);
        var errors = result.Errors.Select(error => error.ToString()).ToArray();
        Assert.Contains("bad.yaml:1:5: id 'Bad Id' must be lower-case letters, digits, '.', '_' or '-', starting with a letter or digit", errors);
        Assert.Contains("bad.yaml:3:12: threshold 1.5 must be strictly between 0 and 1 (P(unsafe) at or above it counts as unsafe)", errors);
        Assert.Contains("bad.yaml:4:17: default_action must be one of block, flag, off, not 'maybe'", errors);
        AssertStartsWith(errors, "bad.yaml:5:1: unknown key 'colour' in policy; expected one of: id, description");
        AssertStartsWith(errors, "bad.yaml:8:3: unknown category code S99: taxonomy llama-guard-3 and this policy's custom categories define S1, S2,");
        AssertStartsWith(errors, "bad.yaml:9:3: code 'X3' must be 'S' followed by a number");
        Assert.Contains("bad.yaml:10:7: the action of S2 must be one of block, flag, off, not 'sometimes'", errors);
        Assert.Contains("bad.yaml:11:3: duplicate code S1 in 'categories' (first at line 7)", errors);
        AssertStartsWith(errors, "bad.yaml:13:11: custom category S3 collides with llama-guard-3's S3 (Sex Crimes)");
        Assert.Contains("bad.yaml:19:11: custom category S15 must not come before S16; list custom categories in ascending code order", errors);
        Assert.Contains("bad.yaml:22:11: duplicate code S16 in 'custom_categories'", errors);
        Assert.Contains("bad.yaml:25:5: custom category S17 has no 'description'", errors);
        Assert.Contains("bad.yaml:28:12: 'prompts' must be true or false", errors);
        Assert.Contains("bad.yaml:32:18: overlap_chars (100) must be less than window_chars (100)", errors);
        Assert.Contains("bad.yaml:33:11: on_error must be one of block, allow, not 'maybe'", errors);
        Assert.Contains("bad.yaml:34:26: blocked_prompt_response must be one of error, refusal, not 'teapot'", errors);
        Assert.Contains("bad.yaml:35:20: content_retention must be one of inherit, full, redacted, hash, none, not 'forever'", errors);
        AssertStartsWith(errors, "policies:0:0: no default policy");
        Assert.Equal(18, errors.Length);
    }

    [Fact]
    public void Load_Errors_AreOrderedByFileLineAndColumn()
    {
        var result = PolicyTestFiles.Load(("b.yaml", "id: b\ntaxonomy: llama-guard-3\nthreshold: 2\nfoo: 1\n"), ("a.yaml", "id: a\ntaxonomy: nope\n"));

        Assert.Equal(
            ["a.yaml:2:11", "b.yaml:3:12", "b.yaml:4:1", "policies:0:0"],
            result.Errors.Select(error => $"{error.File}:{error.Line}:{error.Column}"));
    }

    [Theory]
    [InlineData("threshold: 0\n", "4:12", "threshold 0 must be strictly between 0 and 1")]
    [InlineData("threshold: 1\n", "4:12", "threshold 1 must be strictly between 0 and 1")]
    [InlineData("threshold: -0.2\n", "4:12", "threshold -0.2 must be strictly between 0 and 1")]
    [InlineData("threshold: high\n", "4:12", "'threshold' must be a number")]
    [InlineData("threshold: .nan\n", "4:12", "'threshold' must be a number")]
    [InlineData("categories: [S1]\n", "4:13", "'categories' must be a mapping")]
    [InlineData("categories:\n  S15: block\n", "5:3", "unknown category code S15")]
    [InlineData("default_action: off\n", "4:17", "every category is off")]
    [InlineData("checks: {prompts: maybe}\n", "4:19", "'prompts' must be true or false")]
    [InlineData("checks: {inputs: true}\n", "4:10", "unknown key 'inputs' in checks")]
    [InlineData("streaming: {window_chars: 10}\n", "4:27", "window_chars must be from 64 to 100000")]
    [InlineData("streaming: {window_chars: 1000000}\n", "4:27", "window_chars must be from 64 to 100000")]
    [InlineData("streaming: {window_chars: -5}\n", "4:27", "'window_chars' must be a whole number")]
    [InlineData("streaming: {overlap_chars: 1000}\n", "4:28", "overlap_chars (1000) must be less than window_chars (1000)")]
    [InlineData("streaming: {mode: buffer, window_chars: 500}\n", "4:41", "apply to 'window' and 'monitor' modes")]
    [InlineData("streaming: {mode: stream}\n", "4:19", "mode must be one of buffer, window, monitor")]
    [InlineData("applies_to: {tenants: acme}\n", "4:23", "'tenants' must be a list")]
    [InlineData("applies_to: {tenants: [acme, acme]}\n", "4:30", "'acme' is listed twice in 'tenants'")]
    [InlineData("applies_to: {models: [\"llama-*-8b\"]}\n", "4:23", "may hold '*' only at its end")]
    [InlineData("applies_to: {teams: [a]}\n", "4:14", "unknown key 'teams' in applies_to")]
    [InlineData("refusal_text: \"\"\n", "4:15", "'refusal_text' must not be empty")]
    [InlineData("shadow: base\n", "4:9", "policy 'base' cannot be its own shadow")]
    [InlineData("shadow: nobody\n", "4:9", "unknown shadow policy 'nobody' (known: base)")]
    [InlineData("id: again\n", "4:1", "duplicate key 'id' (first at line 1)")]
    [InlineData("custom_categories:\n  - code: S15\n    name: Bad <|eot_id|>\n    description: x\n", "6:11", "must not contain special-token syntax")]
    [InlineData("custom_categories:\n  - code: S15\n    name: Two\n    description: |\n      one\n      two\n", "7:18", "must be one line")]
    [InlineData("custom_categories:\n  - code: S15\n    name: Priced.\n    description: x\n", "6:11", "must not end with a period")]
    [InlineData("custom_categories:\n  - code: S15\n    name: A\n    description: x\ncategories:\n  S15: flag\n", "9:3", "S15 is a custom category; set its action with 'action'")]
    [InlineData("custom_categories:\n  - code: S15\n    name: A\n    description: x\n    colour: red\n", "8:5", "unknown key 'colour' in custom category")]
    [InlineData("custom_categories: [S15]\n", "4:21", "each custom category must be a mapping")]
    public void Load_OneMistake_ReportsItAtItsPosition(string extra, string position, string expected)
    {
        var result = PolicyTestFiles.Load(("p.yaml", Minimal + extra));

        Assert.False(result.Succeeded);
        var error = Assert.Single(result.Errors);
        Assert.Equal("p.yaml", error.File);
        Assert.Equal(position, $"{error.Line}:{error.Column}");
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "1:1", "a policy file must be a mapping")]
    [InlineData("- id: a\n", "1:1", "a policy file must be a mapping")]
    [InlineData("id: a\ntaxonomy: [\n", "3:1", "YAML syntax")]
    [InlineData("id: &x a\ntaxonomy: *x\n", "1:5", "Anchors and aliases are not supported")]
    [InlineData("default: true\ntaxonomy: llama-guard-3\n", "1:1", "policy has no 'id'")]
    [InlineData("id: a\ndefault: true\n", "1:1", "policy has no 'taxonomy'")]
    [InlineData("id: a\ndefault: true\ntaxonomy: llama-guard-4\n", "3:11", "unknown taxonomy 'llama-guard-4' (known: llama-guard-3)")]
    [InlineData("id: a\ndefault: yes\ntaxonomy: llama-guard-3\n", "2:10", "'default' must be true or false")]
    public void Load_BrokenDocument_ReportsReason(string yaml, string position, string expected)
    {
        var result = PolicyTestFiles.Load(("p.yaml", yaml), ("z.yaml", "id: z\ndefault: true\ntaxonomy: llama-guard-3\n"));

        Assert.False(result.Succeeded);
        Assert.Contains(
            result.Errors,
            error => error.File == "p.yaml" && $"{error.Line}:{error.Column}" == position && error.Message.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Load_TwoPoliciesWithOneId_ReportsTheSecondWithTheFirstsPosition()
    {
        var result = PolicyTestFiles.Load(("a.yaml", Minimal), ("b.yaml", "id: base\ntaxonomy: llama-guard-3\n"));

        var error = Assert.Single(result.Errors);
        Assert.Equal("b.yaml:1:5: policy id 'base' is already used by a.yaml:1:5", error.ToString());
    }

    [Fact]
    public void Load_TwoDefaults_ReportsEveryExtraDefault()
    {
        var result = PolicyTestFiles.Load(("a.yaml", Minimal), ("b.yaml", "id: b\ndefault: true\ntaxonomy: llama-guard-3\n"), ("c.yaml", "id: c\ntaxonomy: llama-guard-3\ndefault: true\n"));

        Assert.Equal(
            ["b.yaml:2:10: only one policy may be the default; a.yaml:2:10 already is", "c.yaml:3:10: only one policy may be the default; a.yaml:2:10 already is"],
            result.Errors.Select(error => error.ToString()));
    }

    [Fact]
    public void Load_NoDefault_ReportsIt()
    {
        var result = PolicyTestFiles.Load(("a.yaml", "id: a\ntaxonomy: llama-guard-3\n"));

        var error = Assert.Single(result.Errors);
        Assert.Equal("policies", error.File);
        Assert.StartsWith("no default policy: set 'default: true' on exactly one policy", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ShadowCycle_ReportsEveryPolicyOnTheCycle()
    {
        var result = PolicyTestFiles.Load(
            ("a.yaml", Minimal + "shadow: b\n"),
            ("b.yaml", "id: b\ntaxonomy: llama-guard-3\nshadow: c\n"),
            ("c.yaml", "id: c\ntaxonomy: llama-guard-3\nshadow: b\n"));

        Assert.Equal(
            ["b.yaml:3:9: shadow cycle: b -> c -> b", "c.yaml:3:9: shadow cycle: c -> b -> c"],
            result.Errors.Select(error => error.ToString()));
    }

    [Fact]
    public void Load_RequiredPolicyMissing_ReportsIt()
    {
        var result = PolicyLoader.Load(
            [new PolicySourceFile("a.yaml", Minimal)],
            [PolicyTestFiles.Taxonomy],
            new PolicyLoadOptions { RequiredPolicyIds = ["base", "strict"] });

        var error = Assert.Single(result.Errors);
        Assert.Equal("policies:0:0: policy 'strict' is required (a route names it) but no file defines it", error.ToString());
    }

    [Fact]
    public void Load_TaxonomyErrorsAndDuplicateTaxonomyIds_AreReportedWithPolicyErrors()
    {
        var result = PolicyLoader.Load(
            [new PolicySourceFile("a.yaml", Minimal + "threshold: 7\n")],
            [PolicyTestFiles.Taxonomy, new PolicySourceFile("taxonomy/copy.yaml", PolicyTestFiles.Taxonomy.Text), new PolicySourceFile("taxonomy/broken.yaml", "id: broken\nfoo: 1\n")]);

        var errors = result.Errors.Select(error => error.ToString()).ToArray();
        Assert.Contains("a.yaml:4:12: threshold 7 must be strictly between 0 and 1 (P(unsafe) at or above it counts as unsafe)", errors);
        Assert.Contains("taxonomy/llama-guard-3.yaml:1:1: taxonomy id 'llama-guard-3' is already defined in taxonomy/copy.yaml", errors);
        AssertStartsWith(errors, "taxonomy/broken.yaml:2:1: unknown key 'foo' in taxonomy");
        Assert.Contains("taxonomy/broken.yaml:1:1: taxonomy has no 'categories'", errors);
        Assert.Equal(4, errors.Length);
    }

    [Fact]
    public void LoadDirectories_InvalidFixtureSet_ReportsErrorsOfEveryFileWithPaths()
    {
        var directory = PolicyTestFiles.TestData("invalid-set");

        var result = PolicyLoader.LoadDirectories(directory, PolicyTestFiles.ShippedTaxonomyDirectory);

        var errors = result.Errors.Select(error => $"{Path.GetFileName(error.File)}:{error.Line}:{error.Column}").ToArray();
        Assert.Equal(["one.yaml:4:12", "two.yaml:1:5", "two.yaml:3:10", "two.yaml:4:9"], errors);
        Assert.All(result.Errors, error => Assert.StartsWith(directory, error.File, StringComparison.Ordinal));
    }

    [Fact]
    public void LoadDirectories_MissingDirectory_ReportsIt()
    {
        var missing = Path.Combine(AppContext.BaseDirectory, "no-such-policies");

        var result = PolicyLoader.LoadDirectories(missing, PolicyTestFiles.ShippedTaxonomyDirectory);

        Assert.Equal($"{missing}:0:0: directory not found", Assert.Single(result.Errors).ToString());
    }

    [Fact]
    public void GetValueOrThrow_Errors_ThrowsWithEveryError()
    {
        var result = PolicyTestFiles.Load(("a.yaml", Minimal + "foo: 1\nbar: 2\n"));

        var exception = Assert.Throws<FileValidationException>(result.GetValueOrThrow);

        Assert.Equal(result.Errors, exception.Errors);
        Assert.Contains("a.yaml:4:1: unknown key 'foo'", exception.Message, StringComparison.Ordinal);
        Assert.Contains("a.yaml:5:1: unknown key 'bar'", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("default.yaml", true)]
    [InlineData("strict.yml", true)]
    [InlineData(".default.yaml.swp", false)]
    [InlineData(".#default.yaml", false)]
    [InlineData("#default.yaml#", false)]
    [InlineData("default.yaml~", false)]
    [InlineData("README.md", false)]
    public void IsConfigFile_Names_SkipsEditorFiles(string name, bool expected) =>
        Assert.Equal(expected, PolicyLoader.IsConfigFile(Path.Combine("policies", name)));

    private static void AssertStartsWith(string[] errors, string prefix) =>
        Assert.True(errors.Any(error => error.StartsWith(prefix, StringComparison.Ordinal)), $"No error starts with '{prefix}' in:\n{string.Join("\n", errors)}");
}
