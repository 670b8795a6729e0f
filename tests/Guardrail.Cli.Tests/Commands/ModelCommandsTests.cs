using System.Text.Json;
using Guardrail.Cli.Models;
using Guardrail.Cli.Tests.Models;
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
        Assert.Contains("exactly one of --preset, --keyword-guard, --scripted-generator or --demo", error, StringComparison.Ordinal);
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
    public void Synth_ScriptedGenerator_WritesModelAndSaysItsSentences()
    {
        var path = _scratch.File("generator.gguf");

        var (exitCode, output, error) = CliRunner.Run("model", "synth", "--scripted-generator", "--out", path);

        Assert.Equal(0, exitCode);
        Assert.Empty(error);
        Assert.Contains($"  answer: {TestAssets.ScriptedGenerator.Answer} (10 tokens)", output, StringComparison.Ordinal);
        Assert.Contains($"  on '{TestAssets.ScriptedGenerator.TriggerWord}': {TestAssets.ScriptedGenerator.FlaggedAnswer}", output, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(TestAssets.ScriptedGenerator.Path), File.ReadAllBytes(path));
    }

    [Fact]
    public void Synth_Demo_PrintsTheCachedGuardAndGeneratorPaths()
    {
        var (exitCode, output, error) = CliRunner.Run("model", "synth", "--demo");

        Assert.Equal(0, exitCode);
        Assert.Empty(error);
        Assert.Equal(
            $"guard={SyntheticModelCache.GetKeywordGuard(TestAssets.ScriptedGenerator.KeywordGuardSpec)}\ngenerator={TestAssets.ScriptedGenerator.Path}\n",
            output);
    }

    [Theory]
    [InlineData("--demo", "--out", "x.gguf")]
    [InlineData("--scripted-generator")]
    [InlineData("--scripted-generator", "--quant", "Q8_0", "--out", "x.gguf")]
    [InlineData("--demo", "--preset", "tiny")]
    public void Synth_DemoOrScriptedGeneratorMisused_ExitsWithUsage(params string[] args)
    {
        var (exitCode, _, error) = CliRunner.Run(["model", "synth", .. args]);

        Assert.Equal(2, exitCode);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
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

    [Fact]
    public async Task List_ModelsDirectory_DescribesEachFileAndFlagsWhatIsUnusable()
    {
        var models = _scratch.File("models");
        Directory.CreateDirectory(models);
        File.WriteAllBytes(Path.Combine(models, "Llama-Guard-3-1B.Q8_0.gguf"), TestGgufFiles.Llama3(weightBytes: 4000));
        File.WriteAllBytes(Path.Combine(models, "other.gguf"), TestGgufFiles.Write(architecture: "qwen2", weightBytes: 4000));
        File.WriteAllBytes(Path.Combine(models, "half.gguf.partial"), new byte[2048]);

        var (exitCode, output, error) = await ModelCli.RunAsync(ModelCli.Environment(), "model", "list", "--models-dir", models);

        Assert.Equal(ModelExitCodes.Success, exitCode);
        Assert.Empty(error);
        var lines = output.Split('\n');
        Assert.Equal($"{models}:", lines[0]);
        Assert.Matches(@"^  NAME +SIZE +ARCH +PARAMS +QUANT +CATALOGUE$", lines[1]);
        Assert.Matches(@"^  Llama-Guard-3-1B\.Q8_0\.gguf +\d+\.\d MiB +llama +1K \(1B\) +Q8_0 +llama-guard-3-1b \(default\)$", lines[2]);
        Assert.Matches(@"^  half\.gguf +- +- +- +- +-$", lines[3]);
        Assert.Equal("    downloading: 2.0 KiB so far; 'model pull' again resumes it", lines[4]);
        Assert.Matches(@"^  other\.gguf +\d+\.\d MiB +qwen2 +1K \(1B\) +Q8_0 +-$", lines[5]);
        Assert.StartsWith("    not usable: its architecture is 'qwen2'", lines[6], StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_Json_OneObjectPerModel()
    {
        var models = _scratch.File("models");
        Directory.CreateDirectory(models);
        var path = Path.Combine(models, "m.gguf");
        File.WriteAllBytes(path, TestGgufFiles.Llama3(weightBytes: 4000));

        var (exitCode, output, _) = await ModelCli.RunAsync(ModelCli.Environment(), "model", "list", "--json", "--models-dir", models);

        Assert.Equal(ModelExitCodes.Success, exitCode);
        var model = Assert.Single(JsonDocument.Parse(output).RootElement.EnumerateArray());
        Assert.Equal("m.gguf", model.GetProperty("name").GetString());
        Assert.Equal(path, model.GetProperty("path").GetString());
        Assert.Equal(new FileInfo(path).Length, model.GetProperty("size_bytes").GetInt64());
        Assert.Equal("llama", model.GetProperty("architecture").GetString());
        Assert.Equal(1000, model.GetProperty("parameters").GetInt64());
        Assert.Equal("Q8_0", model.GetProperty("quantization").GetString());
        Assert.True(model.GetProperty("usable").GetBoolean());
        Assert.Equal(JsonValueKind.Null, model.GetProperty("catalogue").ValueKind);
    }

    [Fact]
    public async Task List_EmptyDirectory_SaysHowToGetAModel()
    {
        var (exitCode, output, _) = await ModelCli.RunAsync(ModelCli.Environment(), "model", "list", "--models-dir", _scratch.File("none"));

        Assert.Equal(ModelExitCodes.Success, exitCode);
        Assert.Contains("(no models; 'guardrail model pull <name>' fetches one", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rm_FileName_DeletesTheModelAndItsUnfinishedDownload()
    {
        var path = _scratch.File("m.gguf");
        File.WriteAllText(path, "x");
        File.WriteAllText(path + ".partial", "y");
        File.WriteAllText(path + ".partial.json", "{}");

        var (exitCode, output, error) = await ModelCli.RunAsync(ModelCli.Environment(), "model", "rm", "m.gguf", "--models-dir", _scratch.Path);

        Assert.Equal(ModelExitCodes.Success, exitCode);
        Assert.Empty(error);
        Assert.Equal($"removed {path}\nremoved {path}.partial\nremoved {path}.partial.json\n", output);
        Assert.Empty(Directory.GetFiles(_scratch.Path));
    }

    [Fact]
    public async Task Rm_CatalogueName_DeletesItsFile()
    {
        var path = _scratch.File("Llama-3.2-1B-Instruct-Q8_0.gguf");
        File.WriteAllText(path, "x");

        var (exitCode, _, _) = await ModelCli.RunAsync(ModelCli.Environment(), "model", "rm", "llama-3.2-1b-instruct", "--models-dir", _scratch.Path);

        Assert.Equal(ModelExitCodes.Success, exitCode);
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData("../outside.gguf")]
    [InlineData("/tmp/outside.gguf")]
    [InlineData("sub/inside.gguf")]
    public async Task Rm_PathOutsideTheModelsDirectory_RefusedAndNothingDeleted(string name)
    {
        var models = _scratch.File("models");
        Directory.CreateDirectory(Path.Combine(models, "sub"));
        File.WriteAllText(_scratch.File("outside.gguf"), "keep");
        File.WriteAllText(Path.Combine(models, "sub", "inside.gguf"), "keep");

        var (exitCode, output, error) = await ModelCli.RunAsync(ModelCli.Environment(), "model", "rm", name, "--models-dir", models);

        Assert.Equal(ModelExitCodes.Usage, exitCode);
        Assert.Empty(output);
        Assert.Contains("paths outside the models directory are refused", error, StringComparison.Ordinal);
        Assert.True(File.Exists(_scratch.File("outside.gguf")));
        Assert.True(File.Exists(Path.Combine(models, "sub", "inside.gguf")));
    }

    [Fact]
    public async Task Rm_NoSuchModel_FailsSayingWhereItLooked()
    {
        var (exitCode, _, error) = await ModelCli.RunAsync(ModelCli.Environment(), "model", "rm", "absent.gguf", "--models-dir", _scratch.Path);

        Assert.Equal(ModelExitCodes.Failed, exitCode);
        Assert.Contains($"there is no model 'absent.gguf' in {_scratch.Path}", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Path_Defaults_PrintsGuardThenInstructAndExitsOneUntilBothArePulled()
    {
        var guard = _scratch.File("Llama-Guard-3-1B.Q8_0.gguf");
        var instruct = _scratch.File("Llama-3.2-1B-Instruct-Q8_0.gguf");

        var (missingExit, output, _) = await ModelCli.RunAsync(ModelCli.Environment(), "model", "path", "--defaults", "--models-dir", _scratch.Path);

        Assert.Equal(ModelExitCodes.NotPresent, missingExit);
        Assert.Equal($"{guard}\n{instruct}\n", output);

        File.WriteAllText(guard, "x");
        File.WriteAllText(instruct, "x");
        var (presentExit, _, _) = await ModelCli.RunAsync(ModelCli.Environment(), "model", "path", "--defaults", "--models-dir", _scratch.Path);
        Assert.Equal(ModelExitCodes.Success, presentExit);
    }

    [Fact]
    public async Task Path_ModelsDirectoryFromTheEnvironment_Used()
    {
        var environment = ModelCli.Environment(new Dictionary<string, string>(StringComparer.Ordinal) { ["GUARDRAIL_MODELS_DIR"] = _scratch.Path });

        var (_, output, _) = await ModelCli.RunAsync(environment, "model", "path", "llama-guard-3-8b");

        Assert.Equal(_scratch.File("Llama-Guard-3-8B.Q4_K_M.gguf") + "\n", output);
    }

    [Fact]
    public async Task Path_UnknownName_UsageErrorListingTheNames()
    {
        var (exitCode, output, error) = await ModelCli.RunAsync(ModelCli.Environment(), "model", "path", "llama-guard-9", "--models-dir", _scratch.Path);

        Assert.Equal(ModelExitCodes.Usage, exitCode);
        Assert.Empty(output);
        Assert.Contains("Not in the catalogue: llama-guard-9. Known names: llama-guard-3-1b, llama-guard-3-8b", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Catalog_Text_ListsEveryEntryWithDefaultsAndTheCheckDate()
    {
        var (exitCode, output, _) = await ModelCli.RunAsync(ModelCli.Environment(), "model", "catalog", "--models-dir", _scratch.Path);

        Assert.Equal(ModelExitCodes.Success, exitCode);
        Assert.Matches(@"(?m)^  llama-guard-3-1b +guard +yes +Q8_0 +1\.6 GB +- +legraphista/Llama-Guard-3-1B-IMat-GGUF/Llama-Guard-3-1B\.Q8_0\.gguf$", output);
        Assert.Matches(@"(?m)^  llama-3\.1-8b-instruct +instruct +- +Q4_K_M", output);
        Assert.Contains("checked against their Hugging Face pages on 2026-12-01", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Catalog_Json_CarriesRevisionChecksumSourceAndPath()
    {
        var (_, output, _) = await ModelCli.RunAsync(ModelCli.Environment(), "model", "catalog", "--json", "--models-dir", _scratch.Path);

        var entries = JsonDocument.Parse(output).RootElement.EnumerateArray().ToList();
        Assert.Equal(5, entries.Count);
        var guard = entries[0];
        var expected = ModelCatalog.Embedded.Entries[0];
        Assert.Equal(expected.Revision, guard.GetProperty("revision").GetString());
        Assert.Equal(expected.Sha256, guard.GetProperty("sha256").GetString());
        Assert.Equal(_scratch.File(expected.FileName), guard.GetProperty("path").GetString());
        Assert.False(guard.GetProperty("present").GetBoolean());
        Assert.True(guard.GetProperty("default").GetBoolean());
        Assert.Equal(expected.Source[0], guard.GetProperty("source")[0].GetString());
    }
}
