using System.Globalization;
using System.Text.Json.Nodes;
using Guardrail.Taxonomy;
using Json.Schema;

namespace Guardrail.Core.Tests.Policies;

/// <summary>
/// The shipped JSON Schemas (<c>policies/policy.schema.json</c>, <c>taxonomy/taxonomy.schema.json</c>) that editors
/// validate policy and taxonomy files with: every shipped and test file passes its schema and names it, and files
/// the loader refuses for their shape the schema refuses too.
/// </summary>
public sealed class PolicySchemaTests
{
    private static readonly JsonSchema PolicySchema = JsonSchema.FromFile(Path.Combine(PolicyTestFiles.ShippedPoliciesDirectory, "policy.schema.json"));
    private static readonly JsonSchema TaxonomySchema = JsonSchema.FromFile(Path.Combine(PolicyTestFiles.ShippedTaxonomyDirectory, "taxonomy.schema.json"));

    public static TheoryData<string> ShippedPolicies => [.. Directory.GetFiles(PolicyTestFiles.ShippedPoliciesDirectory, "*.yaml").Select(static p => Path.GetFileName(p))];

    /// <summary>The test data's policy files, and whether their shape is valid: one.yaml's threshold of 0 is not;
    /// two.yaml's problems (a duplicate id, an unknown shadow) are between files, which only the loader sees.</summary>
    public static TheoryData<string, bool> TestPolicies => new()
    {
        { "one.yaml", false },
        { "two.yaml", true },
    };

    [Theory]
    [MemberData(nameof(ShippedPolicies))]
    public void ShippedPolicy_PassesTheSchemaAndReferencesIt(string name)
    {
        var text = File.ReadAllText(Path.Combine(PolicyTestFiles.ShippedPoliciesDirectory, name));

        AssertValid(PolicySchema, text);
        Assert.EndsWith("\n# yaml-language-server: $schema=policy.schema.json\n", text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestPolicies))]
    public void TestPolicy_SchemaAgreesWithItsShape(string name, bool valid)
    {
        var directory = PolicyTestFiles.TestData("invalid-set");
        Assert.Equal(Directory.GetFiles(directory, "*.yaml").Length, TestPolicies.Count);

        Assert.Equal(valid, Evaluate(PolicySchema, File.ReadAllText(Path.Combine(directory, name))).IsValid);
    }

    [Fact]
    public void ShippedTaxonomy_PassesTheSchemaAndReferencesIt()
    {
        var text = File.ReadAllText(TestFiles.ShippedTaxonomyPath);

        AssertValid(TaxonomySchema, text);
        Assert.EndsWith("\n# yaml-language-server: $schema=taxonomy.schema.json\n", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("id: p\ntaxonomy: llama-guard-3\nthreshhold: 0.5\n")]
    [InlineData("id: p\ntaxonomy: llama-guard-3\nthreshold: 1.5\n")]
    [InlineData("id: p\ntaxonomy: llama-guard-3\ndefault_action: deny\n")]
    [InlineData("id: P!\ntaxonomy: llama-guard-3\n")]
    [InlineData("id: p\ntaxonomy: llama-guard-3\ncategories:\n  S1: maybe\n")]
    [InlineData("id: p\ntaxonomy: llama-guard-3\nstreaming:\n  mode: window\n  window_chars: 10\n")]
    [InlineData("id: p\ntaxonomy: llama-guard-3\ncustom_categories:\n  - code: S15\n    name: Spam\n")]
    [InlineData("taxonomy: llama-guard-3\n")]
    public void BadPolicy_IsRefusedByTheSchemaAndTheLoader(string yaml)
    {
        Assert.False(Evaluate(PolicySchema, yaml).IsValid);
        Assert.False(PolicyTestFiles.Load(("p.yaml", "default: true\n" + yaml)).Succeeded);
    }

    [Theory]
    [InlineData("id: t\ncategories:\n  - code: X1\n    name: A\n")]
    [InlineData("id: t\ncategories:\n  - code: S1\n    name: A\n    models: [huge]\n")]
    [InlineData("id: t\ncategories: []\n")]
    [InlineData("id: t\nname: T\n")]
    public void BadTaxonomy_IsRefusedByTheSchemaAndTheLoader(string yaml)
    {
        Assert.False(Evaluate(TaxonomySchema, yaml).IsValid);
        Assert.False(TaxonomyLoader.Parse(yaml, "t.yaml").Succeeded);
    }

    private static void AssertValid(JsonSchema schema, string yaml)
    {
        var result = Evaluate(schema, yaml);
        Assert.True(result.IsValid, string.Join("\n", Problems(result)));
    }

    private static EvaluationResults Evaluate(JsonSchema schema, string yaml) =>
        schema.Evaluate(ToJson(YamlTreeReader.Read(yaml)), new EvaluationOptions { OutputFormat = OutputFormat.List });

    private static IEnumerable<string> Problems(EvaluationResults result) =>
        result.Details.Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"));

    // YAML's core schema, as the loader reads it: unquoted true/false are booleans, numbers are numbers, ~ is null.
    private static JsonNode? ToJson(YamlTreeNode? node) => node switch
    {
        null => null,
        YamlTreeScalar { IsPlainNull: true } => null,
        YamlTreeScalar { Value: "true" } => JsonValue.Create(true),
        YamlTreeScalar { Value: "false" } => JsonValue.Create(false),
        YamlTreeScalar scalar when long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole) => JsonValue.Create(whole),
        YamlTreeScalar scalar when double.TryParse(scalar.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
        YamlTreeScalar scalar => JsonValue.Create(scalar.Value),
        YamlTreeSequence sequence => new JsonArray([.. sequence.Items.Select(ToJson)]),
        YamlTreeMapping mapping => new JsonObject(mapping.Entries.Select(e => KeyValuePair.Create(e.Key.Value, ToJson(e.Value)))),
        _ => throw new ArgumentOutOfRangeException(nameof(node), node, "Unknown YAML node."),
    };
}
