using Guardrail.ModelSynthesis;

namespace Guardrail.Cli.Tests.Commands;

public sealed class ModelCommandsTests : IDisposable
{
    private readonly TempDirectory _scratch = new();

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
        // 2 x 128256 x 256 + 2 x (2 x 256^2 + 2 x 256 x 128 + 3 x 256 x 512 + 2 x 256) + 256
        Assert.Contains("parameters:     66.85M (66,848,000)\n", output, StringComparison.Ordinal);
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

    [Fact]
    public void Synth_KeywordGuard_WritesModelAndListsTriggerTokens()
    {
        var path = _scratch.File("guard.gguf");

        var (exitCode, output, error) = CliRunner.Run("model", "synth", "--keyword-guard", "bomb=S1,violin=S10", "--out", path);

        Assert.Equal(0, exitCode);
        Assert.Empty(error);
        Assert.Contains("  S1: 'bomb' (79444), ' bomb' (13054), 'Bomb' (92826), ' Bomb' (33909)", output, StringComparison.Ordinal);
        Assert.Contains("  S10: ' violin' (63137)", output, StringComparison.Ordinal);
        var (_, description, _) = CliRunner.Run("model", "inspect", path);
        Assert.Contains("synthetic keyword guard (bomb=S1,violin=S10)", description, StringComparison.Ordinal);
        Assert.Contains("layers:         1\n", description, StringComparison.Ordinal);
        Assert.Contains("keyword guard:  bomb=S1,violin=S10\n", description, StringComparison.Ordinal);
    }

    [Fact]
    public void Synth_KeywordGuardWithVariant_InspectNamesTheVariantAndWhy()
    {
        var path = _scratch.File("guard-1b.gguf");

        var (exitCode, _, error) = CliRunner.Run("model", "synth", "--keyword-guard", "bomb=S1", "--variant", "llama-guard-3-1b", "--out", path);

        Assert.True(exitCode == 0, error);
        var (inspectExit, description, _) = CliRunner.Run("model", "inspect", path);
        Assert.Equal(0, inspectExit);
        Assert.Contains(
            "variant:        llama-guard-3-1b (from general.size_label '1B'; general.name 'synthetic keyword guard (bomb=S1) imitating Llama Guard 3 1B')\n",
            description,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_ShapeOfNoLlamaGuardAndNoMetadata_SaysTheVariantIsUnknown()
    {
        var (_, description, _) = CliRunner.Run("model", "inspect", SyntheticModelCache.GetRandom("tiny"));

        Assert.Contains("variant:        unknown (no metadata names the variant)\n", description, StringComparison.Ordinal);
    }

    [Fact]
    public void Synth_UnknownVariantOrVariantWithPreset_Refused()
    {
        var (unknownExit, _, unknown) = CliRunner.Run("model", "synth", "--keyword-guard", "bomb=S1", "--variant", "llama-guard-2", "--out", _scratch.File("a.gguf"));
        var (presetExit, _, preset) = CliRunner.Run("model", "synth", "--preset", "tiny", "--variant", "llama-guard-3-8b", "--out", _scratch.File("b.gguf"));

        Assert.Equal(2, unknownExit);
        Assert.Contains("Unknown --variant 'llama-guard-2'; choose llama-guard-3-1b or llama-guard-3-8b.", unknown, StringComparison.Ordinal);
        Assert.Equal(2, presetExit);
        Assert.Contains("--variant applies to --keyword-guard models only", preset, StringComparison.Ordinal);
        Assert.False(File.Exists(_scratch.File("a.gguf")));
        Assert.False(File.Exists(_scratch.File("b.gguf")));
    }

    [Fact]
    public void Synth_KeywordGuardWordWithoutSingleToken_RefusedShowingTokens()
    {
        var path = _scratch.File("guard.gguf");

        var (exitCode, _, error) = CliRunner.Run("model", "synth", "--keyword-guard", "xylophonist=S1", "--out", path);

        Assert.Equal(2, exitCode);
        Assert.Contains("'xylophonist' has no single-token form", error, StringComparison.Ordinal);
        Assert.Contains("'xylophonist' -> 'xy'(4223) 'lo'(385) 'phon'(52801) 'ist'(380)", error, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Synth_KeywordGuardWithQuant_Refused()
    {
        var (exitCode, _, error) = CliRunner.Run(
            "model", "synth", "--keyword-guard", "bomb=S1", "--quant", "Q8_0", "--out", _scratch.File("guard.gguf"));

        Assert.Equal(2, exitCode);
        Assert.Contains("--quant and --seed apply to --preset models only", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Synth_TinyPresetQ8_0_WritesQuantizedModel()
    {
        var path = _scratch.File("tiny-q8.gguf");

        var (exitCode, output, error) = CliRunner.Run("model", "synth", "--preset", "tiny", "--quant", "q8_0", "--out", path);

        Assert.Equal(0, exitCode);
        Assert.Empty(error);
        Assert.Contains("Q8_0", output, StringComparison.Ordinal);
        var (_, description, _) = CliRunner.Run("model", "inspect", path);
        Assert.Contains("file type:      Q8_0 (7)\n", description, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_scratch.Path, "*.partial", SearchOption.AllDirectories).Concat(Directory.GetFiles(_scratch.Path, ".*")));
    }
}
