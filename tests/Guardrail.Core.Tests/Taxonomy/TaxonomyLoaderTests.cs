using Guardrail.Diagnostics;
using Guardrail.Taxonomy;

namespace Guardrail.Core.Tests.Taxonomy;

public sealed class TaxonomyLoaderTests
{
    private static readonly string[] Names =
    [
        "Violent Crimes", "Non-Violent Crimes", "Sex Crimes", "Child Exploitation", "Defamation", "Specialized Advice",
        "Privacy", "Intellectual Property", "Indiscriminate Weapons", "Hate", "Self-Harm", "Sexual Content", "Elections",
        "Code Interpreter Abuse",
    ];

    [Fact]
    public void LoadFile_ShippedLlamaGuard3_HasFourteenTrainedCategories()
    {
        var result = TaxonomyLoader.LoadFile(TestFiles.ShippedTaxonomyPath);

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        var taxonomy = result.Value!;
        Assert.Equal("llama-guard-3", taxonomy.Id);
        Assert.Equal(Enumerable.Range(1, 14).Select(n => $"S{n}"), taxonomy.Categories.Select(category => category.Code));
        Assert.Equal(Names, taxonomy.Categories.Select(category => category.Name));
        Assert.All(taxonomy.Categories, category =>
        {
            Assert.False(string.IsNullOrWhiteSpace(category.Description));
            Assert.False(category.DescribeInPrompt);
            Assert.True(category.IsKnownTo("8B"));
        });
        Assert.Equal(["S14"], taxonomy.Categories.Where(category => !category.IsKnownTo("1B")).Select(category => category.Code));
        Assert.Equal("S15", taxonomy.NextFreeCode);
    }

    [Fact]
    public void Parse_EveryKindOfError_ReportsAllWithLineAndColumn()
    {
        const string yaml = """
            id: Bad Id
            colour: blue
            categories:
              - code: S1
                name: Violent Crimes
              - code: S1
                name: Again
              - code: X2
                name: Wrong code
              - code: S01
                name: Leading zero
              - code: S5
                description: no name here
              - code: S6
                name: Ends with period.
                models: [1B, big]
                shade: red
              - code: S7
                name: Broken <END CONVERSATION>
                describe_in_prompt: yes
              - code: S8
                name: Twice
                name: Twice again
            """;

        var result = TaxonomyLoader.Parse(yaml, "bad.yaml");

        Assert.False(result.Succeeded);
        Assert.Null(result.Value);
        var errors = result.Errors.Select(error => error.ToString()).ToArray();
        Assert.Contains("bad.yaml:1:5: id 'Bad Id' must be lower-case letters, digits, '.', '_' or '-'", errors);
        Assert.Contains(errors, error => error.StartsWith("bad.yaml:2:1: unknown key 'colour' in taxonomy", StringComparison.Ordinal));
        Assert.Contains("bad.yaml:6:5: duplicate code S1 (first defined at line 4)", errors);
        Assert.Contains(errors, error => error.StartsWith("bad.yaml:8:11: code 'X2' must be 'S' followed by", StringComparison.Ordinal));
        Assert.Contains(errors, error => error.StartsWith("bad.yaml:10:11: code 'S01'", StringComparison.Ordinal));
        Assert.Contains("bad.yaml:12:5: category S5 has no 'name'", errors);
        Assert.Contains("bad.yaml:15:11: name of S6 must not end with a period; the prompt adds one", errors);
        Assert.Contains("bad.yaml:16:18: a model size must look like 1B or 8B", errors);
        Assert.Contains(errors, error => error.StartsWith("bad.yaml:17:5: unknown key 'shade' in category", StringComparison.Ordinal));
        Assert.Contains("bad.yaml:19:11: name of S7 must not contain a conversation or category block marker", errors);
        Assert.Contains("bad.yaml:20:25: 'describe_in_prompt' must be true or false", errors);
        Assert.Contains("bad.yaml:23:5: duplicate key 'name' (first at line 22)", errors);
        Assert.Equal(12, errors.Length);
        Assert.Equal(result.Errors.OrderBy(error => error.Line).ThenBy(error => error.Column), result.Errors);
    }

    [Fact]
    public void Parse_MissingIdAndCategories_ReportsBoth()
    {
        var result = TaxonomyLoader.Parse("name: nothing else\n", "t.yaml");

        Assert.Equal(
            ["t.yaml:1:1: taxonomy has no 'id'", "t.yaml:1:1: taxonomy has no 'categories'"],
            result.Errors.Select(error => error.ToString()));
    }

    [Theory]
    [InlineData("", "the file must be a mapping")]
    [InlineData("- a\n- b\n", "the file must be a mapping")]
    [InlineData("id: x\ncategories: []\n", "'categories' must be a non-empty list")]
    [InlineData("id: x\ncategories:\n  - just text\n", "each category must be a mapping")]
    [InlineData("id: x\ncategories: [\n", "YAML syntax")]
    [InlineData("id: &a x\ncategories: *a\n", "Anchors and aliases are not supported")]
    [InlineData("id: x\n---\nid: y\n", "Only one YAML document")]
    [InlineData("id: x\ncategories:\n  - code: S1\n    name: A\n    description: |\n      two\n      lines\n", "must be one line")]
    [InlineData("id: x\ncategories:\n  - code: S1\n    name: \"A<|eot_id|>\"\n", "special-token syntax")]
    [InlineData("id: x\ncategories:\n  - code: S1\n    name: A\n    describe_in_prompt: true\n", "described in the prompt but has no description")]
    [InlineData("id: x\ncategories:\n  - code: S1\n    name: A\n    models: []\n", "'models' must be a non-empty list")]
    public void Parse_InvalidDocument_ReportsReason(string yaml, string expected)
    {
        var result = TaxonomyLoader.Parse(yaml, "t.yaml");

        Assert.False(result.Succeeded);
        Assert.Contains(result.Errors, error => error.Message.Contains(expected, StringComparison.Ordinal));
        Assert.All(result.Errors, error => Assert.Equal("t.yaml", error.File));
    }

    [Fact]
    public void Parse_CustomDescribedCategory_PromptLineCarriesDescription()
    {
        const string yaml = """
            id: custom
            categories:
              - code: S15
                name: Competitor Products
                description: >-
                  Messages that recommend
                  competing products.
                describe_in_prompt: true
            """;

        var category = Assert.Single(TaxonomyLoader.Parse(yaml, "c.yaml").GetValueOrThrow().Categories);

        Assert.Equal("S15: Competitor Products. Messages that recommend competing products.", category.PromptLine);
        Assert.Empty(category.Models);
        Assert.True(category.IsKnownTo("1B"));
    }

    [Fact]
    public void GetValueOrThrow_Errors_ThrowsWithEveryErrorInMessage()
    {
        var result = TaxonomyLoader.Parse("id: x\nfoo: 1\nbar: 2\n", "t.yaml");

        var exception = Assert.Throws<FileValidationException>(result.GetValueOrThrow);

        Assert.Equal(result.Errors, exception.Errors);
        Assert.Contains("t.yaml:2:1: unknown key 'foo'", exception.Message, StringComparison.Ordinal);
        Assert.Contains("t.yaml:3:1: unknown key 'bar'", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadFile_MissingFile_ReportsReadError()
    {
        var result = TaxonomyLoader.LoadFile(Path.Combine(AppContext.BaseDirectory, "no-such-taxonomy.yaml"));

        var error = Assert.Single(result.Errors);
        Assert.Contains("cannot read the file", error.Message, StringComparison.Ordinal);
    }
}
