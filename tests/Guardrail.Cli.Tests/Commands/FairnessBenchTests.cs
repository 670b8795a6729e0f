namespace Guardrail.Cli.Tests.Commands;

/// <summary><c>guardrail bench fairness</c>'s arguments (the benchmark itself prints numbers and is run by benchmarks/fairness.sh, not here).</summary>
public sealed class FairnessBenchTests : IDisposable
{
    private readonly TempDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Theory]
    [InlineData("--light-checks", "0")]
    [InlineData("--flood-factor", "-1")]
    [InlineData("--light-share", "0")]
    [InlineData("--timeout-seconds", "0")]
    public void Fairness_NonPositiveSetting_ExitsTwoNamingTheOptions(string option, string value)
    {
        var (exitCode, _, error) = CliRunner.Run("bench", "fairness", "--model", _scratch.File("unused.gguf"), option, value);

        Assert.Equal(2, exitCode);
        Assert.Contains(option, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Fairness_MissingModel_FailsWithAClearMessage()
    {
        var missing = _scratch.File("nope.gguf");

        var (exitCode, _, error) = CliRunner.Run("bench", "fairness", "--model", missing);

        Assert.Equal(1, exitCode);
        Assert.Contains("nope.gguf", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }
}
