using System.Text;
using Guardrail.Taxonomy;
using YamlDotNet.Core;

namespace Guardrail.Core.Tests.FuzzRegressions;

/// <summary>
/// Inputs the fuzzer found (benchmarks/fuzz.sh policy and taxonomy) on which YamlDotNet threw
/// InvalidOperationException or ArgumentException out of the loaders instead of a YAML error with a position.
/// Decoded as the fuzz target decodes them (UTF-8 with replacement characters).
/// </summary>
public sealed class YamlFuzzRegressionTests
{
    public static TheoryData<string, byte[]> Inputs() => new()
    {
        { "scanner in the wrong state", [0x69, 0x64, 0x3A, 0x20, 0x7B, 0x6E, 0x61, 0x6D, 0x20, 0x20, 0x65, 0x64, 0x67, 0x65, 0x2E, 0x63, 0x61, 0x73, 0x65, 0x5F, 0x31, 0x0A, 0x64, 0x84, 0x66, 0x61, 0x75, 0x6C, 0x74, 0x3A, 0x00, 0x79, 0x6E, 0x64, 0x0A] },
        { "global tag that is not a URI", [0x21, 0x21, 0x5B, 0x64, 0x32, 0x00, 0x01, 0x32, 0xFF, 0xFF, 0xFF, 0xFF, 0x5B, 0x64, 0x32, 0x00, 0x01, 0x32, 0xFF, 0xFF, 0xFF, 0xFF, 0x5B, 0x5B, 0x5B, 0xFF, 0x3A, 0x04, 0xE5, 0x39] },
        { "tokens after the end", [0x2E, 0x2E, 0x2E, 0x00, 0x00, 0x00, 0x76, 0x64, 0x3A, 0x20, 0x44, 0x6E, 0x0D, 0x0D, 0x2E, 0x2E, 0x2E, 0x2E, 0x00, 0x00, 0x00, 0x40, 0x2E, 0x2E, 0x00, 0x00, 0x7F, 0xFF, 0x2E, 0x2E] },
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Read_MalformedYaml_IsAYamlError(string finding, byte[] input)
    {
        var text = Encoding.UTF8.GetString(input);

        var error = Assert.Throws<YamlException>(() => YamlTreeReader.Read(text));
        Assert.False(string.IsNullOrWhiteSpace(error.Message), finding);
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void TaxonomyLoader_MalformedYaml_ReportsAnErrorInsteadOfThrowing(string finding, byte[] input)
    {
        var result = TaxonomyLoader.Parse(Encoding.UTF8.GetString(input), "fuzz.yaml");

        Assert.False(result.Succeeded, finding);
        Assert.NotEmpty(result.Errors);
    }
}
