namespace Guardrail.Cli.Tests.Commands;

public sealed class PolicyCommandsTests : IDisposable
{
    private readonly TempDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public void Validate_ShippedPolicies_AreValid()
    {
        var (exitCode, output, error) = CliRunner.Run("policy", "validate", RepositoryRoot.Combine("policies"));

        Assert.True(exitCode == 0, error);
        Assert.Contains("policies valid (default 'default')", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BrokenFile_PrintsEveryErrorWithFileLineAndColumnAndFails()
    {
        var policies = Directory.CreateDirectory(Path.Combine(_scratch.Path, "policies"));
        File.WriteAllText(Path.Combine(policies.FullName, "default.yaml"), "id: default\ndefault: true\ntaxonomy: llama-guard-3\nthreshold: 1.5\ncategories:\n  S99: block\nbogus_key: 1\n");

        var (exitCode, _, error) = CliRunner.Run("policy", "validate", policies.FullName, "--taxonomy", RepositoryRoot.Combine("taxonomy"));

        Assert.Equal(1, exitCode);
        Assert.Contains("default.yaml:4:", error, StringComparison.Ordinal);
        Assert.Contains("default.yaml:6:", error, StringComparison.Ordinal);
        Assert.Contains("default.yaml:7:", error, StringComparison.Ordinal);
        Assert.Contains("3 error(s)", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Show_Policy_PrintsItsSettingsAndTheExactPrompt()
    {
        var (exitCode, output, error) = CliRunner.Run("policy", "show", "permissive", "--dir", RepositoryRoot.Combine("policies"), "--message", "How do I bake bread?");

        Assert.True(exitCode == 0, error);
        Assert.Contains("policy: permissive", output, StringComparison.Ordinal);
        Assert.Contains("<BEGIN UNSAFE CONTENT CATEGORIES>", output, StringComparison.Ordinal);
        Assert.Contains("User: How do I bake bread?", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Show_UnknownPolicy_FailsNamingTheKnownOnes()
    {
        var (exitCode, _, error) = CliRunner.Run("policy", "show", "nope", "--dir", RepositoryRoot.Combine("policies"));

        Assert.Equal(2, exitCode);
        Assert.Contains("default", error, StringComparison.Ordinal);
    }
}
