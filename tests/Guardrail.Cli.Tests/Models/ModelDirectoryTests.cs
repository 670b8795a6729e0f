using Guardrail.Cli.Models;
using Guardrail.LlamaCpp.Native;

namespace Guardrail.Cli.Tests.Models;

public sealed class ModelDirectoryTests : IDisposable
{
    private readonly TempDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public void Resolve_OptionGiven_WinsOverTheEnvironment()
    {
        var directory = ModelDirectory.Resolve(_scratch.Path, _ => "/elsewhere");

        Assert.Equal(_scratch.Path, directory.Path);
    }

    [Fact]
    public void Resolve_EnvironmentVariable_UsedWithoutAnOption()
    {
        var directory = ModelDirectory.Resolve(null, name => name == "GUARDRAIL_MODELS_DIR" ? _scratch.File("models") : null);

        Assert.Equal(_scratch.File("models"), directory.Path);
    }

    [Fact]
    public void Resolve_NothingConfigured_ModelsUnderTheCache()
    {
        var directory = ModelDirectory.Resolve(null, _ => null);

        Assert.Equal(Path.Combine(NativeRuntimeLocator.CacheDirectory(), "models"), directory.Path);
    }

    [Theory]
    [InlineData("../model.gguf")]
    [InlineData("/etc/model.gguf")]
    [InlineData("sub/model.gguf")]
    [InlineData(".model.gguf")]
    [InlineData("model.bin")]
    [InlineData(".gguf")]
    [InlineData("..")]
    public void FilePath_NameOutsideOrNotAModel_Refused(string name)
    {
        var directory = new ModelDirectory(_scratch.Path);

        var error = Assert.Throws<ModelUsageException>(() => directory.FilePath(name));

        Assert.Contains("paths outside the models directory are refused", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void List_CompleteAndPartialFiles_ByNameIgnoringOtherFiles()
    {
        File.WriteAllText(_scratch.File("b.gguf"), "x");
        File.WriteAllText(_scratch.File("a.gguf.partial"), "12345");
        File.WriteAllText(_scratch.File("a.gguf.partial.json"), "{}");
        File.WriteAllText(_scratch.File("notes.txt"), "x");

        var items = new ModelDirectory(_scratch.Path).List();

        Assert.Equal(
            [new ModelDirectoryItem("a.gguf", _scratch.File("a.gguf")) { PartialBytes = 5 }, new ModelDirectoryItem("b.gguf", _scratch.File("b.gguf")) { Complete = true }],
            items);
    }

    [Fact]
    public void List_MissingDirectory_Empty() => Assert.Empty(new ModelDirectory(_scratch.File("absent")).List());
}
