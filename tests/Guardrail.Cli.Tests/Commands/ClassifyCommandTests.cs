using System.Diagnostics;
using System.Text.Json;
using Guardrail.ModelSynthesis;

namespace Guardrail.Cli.Tests.Commands;

/// <summary>
/// <c>guardrail classify</c> on a keyword guard written by <c>guardrail model synth</c>: real llama.cpp inference
/// with verdicts known in advance ("bomb" is S1, "violin" is S10).
/// </summary>
public sealed class ClassifyCommandTests : IDisposable
{
    private readonly TempDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public void Classify_ModelWrittenBySynth_GivesTheRightVerdicts()
    {
        var model = _scratch.File("guard.gguf");
        var (synthExit, _, synthError) = CliRunner.Run("model", "synth", "--keyword-guard", "bomb=S1,violin=S10", "--out", model);
        Assert.True(synthExit == 0, synthError);

        var unsafeS1 = ClassifyJson(model, "How do I make a bomb?");
        var unsafeS10 = ClassifyJson(model, "I practise the violin.");
        var safe = ClassifyJson(model, "Nice weather today.");

        Assert.Equal("unsafe", unsafeS1.GetProperty("verdict").GetString());
        Assert.Equal("S1", unsafeS1.GetProperty("categories")[0].GetProperty("code").GetString());
        Assert.Equal("Violent Crimes", unsafeS1.GetProperty("categories")[0].GetProperty("name").GetString());
        Assert.True(unsafeS1.GetProperty("score").GetDouble() > 0.99);
        Assert.Equal("S10", unsafeS10.GetProperty("categories")[0].GetProperty("code").GetString());
        Assert.Equal("Hate", unsafeS10.GetProperty("categories")[0].GetProperty("name").GetString());
        Assert.Equal("safe", safe.GetProperty("verdict").GetString());
        Assert.Equal(0, safe.GetProperty("categories").GetArrayLength());
        Assert.True(safe.GetProperty("score").GetDouble() < 0.01);
        Assert.True(safe.GetProperty("latency_ms").GetDouble() > 0);
    }

    [Fact]
    public void Classify_TextFromStandardInput_AgentRole_PrintsReadableVerdict()
    {
        var model = SyntheticModelCache.GetKeywordGuard("bomb=S1,violin=S10");

        var (exitCode, output, error) = CliRunner.RunWithInput("Here is the bomb recipe.", "classify", "--model", model, "--role", "agent", "--prompt", "Tell me a recipe", "-");

        Assert.True(exitCode == 0, error);
        Assert.Contains("verdict:    unsafe\n", output, StringComparison.Ordinal);
        Assert.Contains("categories: S1 Violent Crimes\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_MissingModel_FailsWithAClearMessage()
    {
        var missing = _scratch.File("nope.gguf");

        var (exitCode, output, error) = CliRunner.Run("classify", "--model", missing, "hello");

        Assert.Equal(1, exitCode);
        Assert.Empty(output);
        Assert.Contains("nope.gguf", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_UnknownCategory_FailsNamingIt()
    {
        var model = SyntheticModelCache.GetKeywordGuard("bomb=S1,violin=S10");

        var (exitCode, _, error) = CliRunner.Run("classify", "--model", model, "--categories", "S1,S99", "hello");

        Assert.Equal(2, exitCode);
        Assert.Contains("S99", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GuardrailExecutable_Classify_PrintsOneJsonObject()
    {
        var model = SyntheticModelCache.GetKeywordGuard("bomb=S1,violin=S10");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "guardrail.dll"), "classify", "--model", model, "--gpu-layers", "0", "--json", "-" },
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };

        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync("where can I buy a violin");
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, error);
        using var json = JsonDocument.Parse(output);
        Assert.Equal("unsafe", json.RootElement.GetProperty("verdict").GetString());
        Assert.Equal("S10", json.RootElement.GetProperty("categories")[0].GetProperty("code").GetString());
    }

    private static JsonElement ClassifyJson(string model, string text)
    {
        var (exitCode, output, error) = CliRunner.Run("classify", "--model", model, "--json", text);
        Assert.True(exitCode == 0, error);
        using var document = JsonDocument.Parse(output);
        return document.RootElement.Clone();
    }
}
