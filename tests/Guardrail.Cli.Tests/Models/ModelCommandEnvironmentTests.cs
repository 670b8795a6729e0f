using Guardrail.Cli.Models;

namespace Guardrail.Cli.Tests.Models;

public sealed class ModelCommandEnvironmentTests
{
    [Fact]
    public void HuggingFaceEndpoint_Unset_TheHub()
    {
        var environment = new ModelCommandEnvironment { GetVariable = _ => null };

        Assert.Equal(new Uri("https://huggingface.co"), environment.HuggingFaceEndpoint());
    }

    [Theory]
    [InlineData("https://hf-mirror.example.com", "https://hf-mirror.example.com/")]
    [InlineData("https://hf-mirror.example.com/hub/", "https://hf-mirror.example.com/hub/")]
    [InlineData("http://127.0.0.1:8080", "http://127.0.0.1:8080/")]
    public void HuggingFaceEndpoint_Set_UsedAsTheBase(string value, string expected)
    {
        var environment = new ModelCommandEnvironment { GetVariable = name => name == "HF_ENDPOINT" ? value : null };

        Assert.Equal(expected, environment.HuggingFaceEndpoint().AbsoluteUri);
    }

    [Theory]
    [InlineData("http://hf-mirror.example.com")]
    [InlineData("https://user:pw@hf-mirror.example.com")]
    [InlineData("https://hf-mirror.example.com/?a=b")]
    [InlineData("not a url")]
    public void HuggingFaceEndpoint_Unsafe_RefusedNamingTheVariable(string value)
    {
        var environment = new ModelCommandEnvironment { GetVariable = name => name == "HF_ENDPOINT" ? value : null };

        var error = Assert.Throws<ModelUsageException>(() => environment.HuggingFaceEndpoint());

        Assert.StartsWith($"HF_ENDPOINT='{value}' must be an https URL", error.Message, StringComparison.Ordinal);
    }
}
