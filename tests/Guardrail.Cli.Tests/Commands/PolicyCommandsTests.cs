using Guardrail.Classification;
using Guardrail.ModelSynthesis;

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
    public void Show_DefaultPolicyAgainstAOneBillionModelFile_LeavesS14OutAndReportsIt()
    {
        var model = SyntheticModelCache.GetKeywordGuard("bomb=S1", GuardModelVariant.LlamaGuard3OneB);

        var (exitCode, output, error) = CliRunner.Run("policy", "show", "default", "--dir", RepositoryRoot.Combine("policies"), "--model", model);

        Assert.True(exitCode == 0, error);
        Assert.Contains("model: llama-guard-3-1b (Llama Guard 3 1B; its prompts list only the categories it was trained on)\n", output, StringComparison.Ordinal);
        Assert.Contains("  S14  block  Code Interpreter Abuse (not sent: llama-guard-3-1b was not trained on it)\n", output, StringComparison.Ordinal);
        Assert.Contains("S13: Elections.\n<END UNSAFE CONTENT CATEGORIES>", output, StringComparison.Ordinal);
        Assert.DoesNotContain("S14: Code Interpreter Abuse.", output, StringComparison.Ordinal);
        Assert.Contains($"model: {model}: llama-guard-3-1b (from general.size_label '1B'", error, StringComparison.Ordinal);
        Assert.Contains("default.yaml:8:17: warning: policy 'default' enables S14 (Code Interpreter Abuse), which llama-guard-3-1b was not trained on", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Show_VariantEightBillion_SendsS14WithoutWarnings()
    {
        var (exitCode, output, error) = CliRunner.Run("policy", "show", "default", "--dir", RepositoryRoot.Combine("policies"), "--variant", "llama-guard-3-8b");

        Assert.True(exitCode == 0, error);
        Assert.Contains("S14: Code Interpreter Abuse.\n<END UNSAFE CONTENT CATEGORIES>", output, StringComparison.Ordinal);
        Assert.Empty(error);
    }

    [Fact]
    public void Show_VariantOverridesTheModelFile()
    {
        var model = SyntheticModelCache.GetKeywordGuard("bomb=S1", GuardModelVariant.LlamaGuard3OneB);

        var (exitCode, output, error) = CliRunner.Run("policy", "show", "default", "--dir", RepositoryRoot.Combine("policies"), "--model", model, "--variant", "llama-guard-3-8b");

        Assert.True(exitCode == 0, error);
        Assert.Contains("model: llama-guard-3-8b", output, StringComparison.Ordinal);
        Assert.Contains("S14: Code Interpreter Abuse.", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Show_NoModel_SendsEverythingAndWarnsWhatNotEveryModelKnows()
    {
        var (exitCode, output, error) = CliRunner.Run("policy", "show", "default", "--dir", RepositoryRoot.Combine("policies"));

        Assert.True(exitCode == 0, error);
        Assert.Contains("model: unknown (every enabled category is sent)\n", output, StringComparison.Ordinal);
        Assert.Contains("S14: Code Interpreter Abuse.", output, StringComparison.Ordinal);
        Assert.Contains("policy 'default' sends S14 (Code Interpreter Abuse) to a model of unknown variant", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Show_UnknownVariant_FailsNamingTheKnownOnes()
    {
        var (exitCode, _, error) = CliRunner.Run("policy", "show", "default", "--dir", RepositoryRoot.Combine("policies"), "--variant", "llama-guard-3-70b");

        Assert.Equal(2, exitCode);
        Assert.Contains("--variant 'llama-guard-3-70b' is not a Llama Guard variant; use one of llama-guard-3-1b, llama-guard-3-8b.", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ShippedPolicies_WarnAboutS14ForTheOneBillionModelOnly()
    {
        var (_, output, _) = CliRunner.Run("policy", "validate", RepositoryRoot.Combine("policies"));

        Assert.Contains("warning (with llama-guard-3-1b): ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("warning (with llama-guard-3-8b)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Show_UnknownPolicy_FailsNamingTheKnownOnes()
    {
        var (exitCode, _, error) = CliRunner.Run("policy", "show", "nope", "--dir", RepositoryRoot.Combine("policies"));

        Assert.Equal(2, exitCode);
        Assert.Contains("default", error, StringComparison.Ordinal);
    }
}
