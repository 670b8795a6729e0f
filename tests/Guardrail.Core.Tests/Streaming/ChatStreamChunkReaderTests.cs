using Guardrail.Streaming;

namespace Guardrail.Core.Tests.Streaming;

public sealed class ChatStreamChunkReaderTests
{
    [Fact]
    public void Read_ContentChunk_ReadsIdentityAndDelta()
    {
        var chunk = Read(ChatStreams.ChunkJson(2, content: "Hello", role: "assistant"));

        Assert.Equal(ChatStreams.Id, chunk.Id);
        Assert.Equal("chat.completion.chunk", chunk.Object);
        Assert.Equal(ChatStreams.Created, chunk.Created);
        Assert.Equal(ChatStreams.Model, chunk.Model);
        var choice = Assert.Single(chunk.Choices);
        Assert.Equal(2, choice.Index);
        Assert.Equal("assistant", choice.Role);
        Assert.Equal("Hello", choice.Content);
        Assert.Null(choice.FinishReason);
    }

    [Fact]
    public void Read_RefusalAndFinishReason_Read()
    {
        var choice = Assert.Single(Read("""{"choices":[{"index":0,"delta":{"refusal":"I can't"},"finish_reason":"stop"}]}""").Choices);

        Assert.Equal("I can't", choice.Refusal);
        Assert.Equal("stop", choice.FinishReason);
    }

    [Fact]
    public void Read_ToolCallPieces_ReadWithIndexIdNameAndArguments()
    {
        var first = Read("""{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_9","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}""");
        var piece = Read("""{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{\"city\":"}}]}}]}""");

        var call = Assert.Single(Assert.Single(first.Choices).ToolCalls);
        Assert.Equal(1, call.Index);
        Assert.Equal("call_9", call.Id);
        Assert.Equal("get_weather", call.Name);
        var next = Assert.Single(Assert.Single(piece.Choices).ToolCalls);
        Assert.Null(next.Name);
        Assert.Equal("{\"city\":", next.Arguments);
    }

    [Fact]
    public void Read_DeprecatedFunctionCall_ReadAsToolCallPiece()
    {
        var call = Assert.Single(Assert.Single(Read("""{"choices":[{"index":0,"delta":{"function_call":{"name":"f","arguments":"{}"}}}]}""").Choices).ToolCalls);

        Assert.Equal(-1, call.Index);
        Assert.Equal("f", call.Name);
        Assert.Equal("{}", call.Arguments);
    }

    [Fact]
    public void Read_UsageChunk_HasUsageAndNoChoices()
    {
        var chunk = Read(ChatStreams.UsageJson());

        Assert.True(chunk.HasUsage);
        Assert.Empty(chunk.Choices);
    }

    [Theory]
    [InlineData("[DONE]")]
    [InlineData(" [DONE] ")]
    public void Read_Done_IsDone(string data) => Assert.True(Read(data).IsDone);

    [Fact]
    public void Read_LegacyTextCompletion_ReadsText()
    {
        var chunk = Read("""{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"text":"Once","index":0,"logprobs":null,"finish_reason":null}]}""");

        Assert.Equal("text_completion", chunk.Object);
        Assert.Equal("Once", Assert.Single(chunk.Choices).Text);
    }

    [Fact]
    public void Read_ErrorObject_IsError()
    {
        var chunk = Read("""{"error":{"message":"overloaded","type":"server_error"}}""");

        Assert.True(chunk.IsError);
        Assert.Empty(chunk.Choices);
    }

    [Theory]
    [InlineData("{\"choices\":[{\"delta\":{\"content\":\"cut", "not JSON")]
    [InlineData("[1,2]", "not a JSON object")]
    [InlineData("{\"id\":\"x\"}", "no 'choices'")]
    [InlineData("{\"choices\":{}}", "'choices' is not an array")]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"content\":5}}]}", "'content' is not a string")]
    [InlineData("{\"choices\":[{\"index\":-1,\"delta\":{}}]}", "'index'")]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":\"f\"}]}}]}", "'function' is not an object")]
    [InlineData("{\"choices\":[],\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hidden\"}}]}", "not JSON")]
    public void Read_MalformedChunk_ReturnsNullWithReason(string data, string reason)
    {
        var chunk = ChatStreamChunkReader.Read(data, out var error);

        Assert.Null(chunk);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    private static ChatStreamChunk Read(string data)
    {
        var chunk = ChatStreamChunkReader.Read(data, out var error);
        Assert.Null(error);
        return Assert.IsType<ChatStreamChunk>(chunk);
    }
}
