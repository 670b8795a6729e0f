using Guardrail.Cli.Models;

namespace Guardrail.Cli.Tests.Models;

public sealed class ModelCatalogTests
{
    [Fact]
    public void Embedded_Loads_TheFiveModelsTheGatewayIsMadeFor()
    {
        var catalog = ModelCatalog.Embedded;

        Assert.Equal(
            ["llama-guard-3-1b", "llama-guard-3-8b", "llama-3.2-1b-instruct", "llama-3.2-3b-instruct", "llama-3.1-8b-instruct"],
            catalog.Entries.Select(e => e.Name));
        Assert.Equal("2026-12-01", catalog.CheckedOn);
    }

    [Fact]
    public void Embedded_Defaults_AreOneGuardAndOneInstructModel()
    {
        var defaults = ModelCatalog.Embedded.Defaults;

        Assert.Equal(["llama-guard-3-1b", "llama-3.2-1b-instruct"], defaults.Select(e => e.Name));
        Assert.Equal(["guard", "instruct"], defaults.Select(e => e.Role));
    }

    [Fact]
    public void Embedded_EveryEntry_CitesTheBlobPageOfItsPinnedRevisionAndFile()
    {
        foreach (var entry in ModelCatalog.Embedded.Entries)
        {
            // The page the SHA-256 was read from shows that file at that commit: the entry cannot cite one revision
            // and pin another.
            Assert.Contains($"https://huggingface.co/{entry.Repository}/blob/{entry.Revision}/{entry.File}", entry.Source);
            Assert.EndsWith(".gguf", entry.FileName, StringComparison.Ordinal);
            Assert.Contains(entry.Quantization, entry.File, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Find_NameInAnyCase_FindsTheEntry()
    {
        Assert.Equal("llama-guard-3-8b", ModelCatalog.Embedded.Find("Llama-Guard-3-8B")?.Name);
        Assert.Null(ModelCatalog.Embedded.Find("llama-guard-2-8b"));
    }

    [Fact]
    public void FindByFileName_CatalogueFile_FindsTheEntry()
    {
        Assert.Equal("llama-3.2-3b-instruct", ModelCatalog.Embedded.FindByFileName("Llama-3.2-3B-Instruct-Q4_K_M.gguf")?.Name);
        Assert.Null(ModelCatalog.Embedded.FindByFileName("llama-3.2-3b-instruct-q4_k_m.gguf"));
    }

    [Fact]
    public void Parse_InvalidEntries_ListsEveryProblem()
    {
        var error = Assert.Throws<FormatException>(() => ModelCatalog.Parse("""
            {
              "checked": "2026-12-01",
              "models": [
                { "name": "Bad Name", "role": "chat", "default": true, "description": "x", "repository": "not-a-repo",
                  "revision": "main", "file": "model.bin", "quantization": "Q8_0", "size": "1 GB", "sha256": "abc",
                  "source": ["https://example.com/page"] }
              ]
            }
            """));

        Assert.Contains("models[0] (Bad Name): 'name' must be lowercase", error.Message, StringComparison.Ordinal);
        Assert.Contains("'role' must be 'guard' or 'instruct'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'repository' must be a Hugging Face repository id", error.Message, StringComparison.Ordinal);
        Assert.Contains("'revision' must be a full commit id", error.Message, StringComparison.Ordinal);
        Assert.Contains("'file' must be a path in the repository ending in .gguf", error.Message, StringComparison.Ordinal);
        Assert.Contains("'sha256' must be 64 lowercase hex digits", error.Message, StringComparison.Ordinal);
        Assert.Contains("'source' must list the Hugging Face pages", error.Message, StringComparison.Ordinal);
        Assert.Contains("exactly one 'guard' entry must be the default (found 0)", error.Message, StringComparison.Ordinal);
        Assert.Contains("exactly one 'instruct' entry must be the default (found 0)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownField_Refused()
    {
        var error = Assert.Throws<FormatException>(() => ModelCatalog.Parse("""{ "checked": "2026-12-01", "models": [], "extra": 1 }"""));

        Assert.Contains("not valid JSON", error.Message, StringComparison.Ordinal);
    }
}
