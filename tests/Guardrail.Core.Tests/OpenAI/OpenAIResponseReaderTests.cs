using System.Text;
using Guardrail.OpenAI;

namespace Guardrail.Core.Tests.OpenAI;

/// <summary>The backend's completion as the response check reads it; the bad-text cases were found by the fuzzer
/// (benchmarks/fuzz.sh response), where they threw instead of reading as an unreadable body.</summary>
public sealed class OpenAIResponseReaderTests
{
    private static byte[] Completion(byte[] content) =>
        [.. "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""u8, .. content, .. "\"}}]}"u8];

    [Fact]
    public void ReadChoices_ReadableCompletion_GivesItsText()
    {
        var choices = OpenAIResponseReader.ReadChoices(Completion(Encoding.UTF8.GetBytes("Spring in Paris is mild.")), OpenAIApi.ChatCompletions);

        Assert.Equal("Spring in Paris is mild.", Assert.Single(choices!).Text);
    }

    [Theory]
    [InlineData(new byte[] { 0x61, 0xFF, 0x62 })] // not UTF-8
    [InlineData(new byte[] { 0xC3 })] // a sequence cut short
    [InlineData(new byte[] { 0x5C, 0x75, 0x64, 0x38, 0x30, 0x30 })] // \ud800, a lone surrogate escape
    public void ReadChoices_ContentThatIsNotText_IsUnreadableNotAnException(byte[] content)
    {
        Assert.Null(OpenAIResponseReader.ReadChoices(Completion(content), OpenAIApi.ChatCompletions));
    }
}
