using Guardrail.LlamaCpp.Synthesis;

namespace Guardrail.Cli.Tests.Commands;

public sealed class ModelCommandsTests : IDisposable
{
    private readonly ScratchDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public void Inspect_TinyPreset_PrintsShapeParametersAndTensorTypes()
    {
        var model = SyntheticModelCache.GetRandom("tiny");

        var (exitCode, output, error) = CliRunner.Run("model", "inspect", model);

        Assert.Equal(0, exitCode);
        Assert.Empty(error);
        Assert.Contains("architecture:   llama\n", output, StringComparison.Ordinal);
        Assert.Contains("layers:         2\n", output, StringComparison.Ordinal);
        Assert.Contains("embedding:      256\n", output, StringComparison.Ordinal);
        Assert.Contains("heads:          4 (key/value 2)\n", output, StringComparison.Ordinal);
        Assert.Contains("context length: 8,192\n", output, StringComparison.Ordinal);
        Assert.Contains("vocab size:     128,256\n", output, StringComparison.Ordinal);
        // 2 x 128256 x 256 + 2 x (2 x 256^2 + 2 x 256 x 128 + 3 x 256 x 512 + 512) + 256
        Assert.Contains("parameters:     66.73M (66,728,192)\n", output, StringComparison.Ordinal);
        Assert.Contains("file type:      MostlyF16 (1)\n", output, StringComparison.Ordinal);
        Assert.Contains("tensors:        21: F16 x16, F32 x5\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_NotAGgufFile_FailsWithMessage()
    {
        var path = _scratch.File("notes.txt");
        File.WriteAllText(path, "just some text, no magic here");

        var (exitCode, output, error) = CliRunner.Run("model", "inspect", path);

        Assert.Equal(1, exitCode);
        Assert.Empty(output);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Contains("notes.txt", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_MissingFile_FailsWithMessage()
    {
        var (exitCode, _, error) = CliRunner.Run("model", "inspect", _scratch.File("absent.gguf"));

        Assert.Equal(1, exitCode);
        Assert.Contains("absent.gguf", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Synth_PresetAndKeywordGuardTogether_ReportsEveryMistake()
    {
        var (exitCode, _, error) = CliRunner.Run(
            "model", "synth", "--preset", "huge", "--keyword-guard", "bomb", "--quant", "Q2", "--out", _scratch.File("x.gguf"));

        Assert.Equal(2, exitCode);
        Assert.Contains("exactly one of --preset or --keyword-guard", error, StringComparison.Ordinal);
        Assert.Contains("Unknown preset 'huge'", error, StringComparison.Ordinal);
        Assert.Contains("'bomb' has no '='", error, StringComparison.Ordinal);
        Assert.Contains("Unknown --quant 'Q2'", error, StringComparison.Ordinal);
        Assert.False(File.Exists(_scratch.File("x.gguf")));
    }

    [Fact]
    public void Synth_NeitherPresetNorKeywordGuard_Fails()
    {
        var (exitCode, _, error) = CliRunner.Run("model", "synth", "--out", _scratch.File("x.gguf"));

        Assert.Equal(2, exitCode);
        Assert.Contains("exactly one of", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Synth_MissingVocabulary_FailsNamingTheFile()
    {
        var (exitCode, _, error) = CliRunner.Run(
            "model", "synth", "--preset", "tiny", "--vocab", _scratch.File("no-vocab.gguf"), "--out", _scratch.File("x.gguf"));

        Assert.Equal(2, exitCode);
        Assert.Contains("no-vocab.gguf' does not exist", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Synth_TinyPresetWithSeed_WritesInspectableModel()
    {
        var path = _scratch.File("tiny.gguf");

        var (exitCode, output, error) = CliRunner.Run("model", "synth", "--preset", "tiny", "--seed", "7", "--out", path);

        Assert.Equal(0, exitCode);
        Assert.Empty(error);
        Assert.Contains("wrote", output, StringComparison.Ordinal);
        var (inspectExit, description, _) = CliRunner.Run("model", "inspect", path);
        Assert.Equal(0, inspectExit);
        Assert.Contains("synthetic tiny (random, seed 7)", description, StringComparison.Ordinal);
    }
}
