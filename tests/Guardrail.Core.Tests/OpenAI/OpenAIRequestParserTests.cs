using System.Text;
using Guardrail.Conversations;
using Guardrail.OpenAI;

namespace Guardrail.Core.Tests.OpenAI;

public sealed class OpenAIRequestParserTests
{
    [Fact]
    public void Parse_SimpleChat_GivesOneUserTurnAndDefaults()
    {
        var request = Parsed("""{"model":"llama-3-8b","messages":[{"role":"user","content":"Hello <|eot_id|> there"}]}""");

        Assert.Equal("llama-3-8b", request.Model);
        Assert.False(request.Stream);
        Assert.Equal(1, request.ChoiceCount);
        var turn = Assert.Single(Assert.Single(request.Conversations).Turns);
        Assert.Equal(ConversationRole.User, turn.Role);
        Assert.Equal("Hello <|eot_id|> there", turn.Text);
    }

    [Fact]
    public void Parse_StreamingOptionsAndChoices_AreRead()
    {
        var request = Parsed("""{"model":"m","stream":true,"stream_options":{"include_usage":true},"n":3,"messages":[{"role":"user","content":"hi"}]}""");

        Assert.True(request.Stream);
        Assert.True(request.IncludeUsage);
        Assert.Equal(3, request.ChoiceCount);
    }

    [Fact]
    public void Parse_SystemAndDeveloperMessages_AreKeptAside()
    {
        var request = Parsed("""{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"developer","content":[{"type":"text","text":"No jokes."}]},{"role":"user","content":"hi"}]}""");

        var conversation = Assert.Single(request.Conversations);
        Assert.Equal(["Be brief.", "No jokes."], conversation.SystemMessages);
        Assert.Equal("hi", Assert.Single(conversation.Turns).Text);
    }

    [Fact]
    public void Parse_ContentParts_KeepTextAndMarkWhatCannotBeRead()
    {
        var request = Parsed("""
            {"model":"m","messages":[{"role":"user","content":[
              {"type":"text","text":"What is in this picture?"},
              {"type":"image_url","image_url":{"url":"https://example.com/a.png"}},
              {"type":"input_audio","input_audio":{"data":"AAAA","format":"wav"}}]}]}
            """);

        var turn = Assert.Single(Assert.Single(request.Conversations).Turns);
        Assert.Equal(["image_url", "input_audio"], request.UnmoderatedPartKinds);
        Assert.Contains("What is in this picture?", turn.Text, StringComparison.Ordinal);
        Assert.Contains("[image_url content, not readable by the classifier]", turn.Text, StringComparison.Ordinal);
        Assert.Contains(turn.Parts, p => p is UnmoderatedPart { Kind: "input_audio" });
    }

    [Fact]
    public void Parse_ToolCallsAndToolResults_AreRenderedInTheirTurns()
    {
        var request = Parsed("""
            {"model":"m","messages":[
              {"role":"user","content":"Weather in Paris?"},
              {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"Sunny, 21C"},
              {"role":"assistant","content":"It is sunny."}]}
            """);

        var turns = Assert.Single(request.Conversations).Turns;
        Assert.Equal([ConversationRole.User, ConversationRole.Assistant], turns.Select(t => t.Role).Take(2));
        Assert.Contains(turns[1].Parts, p => p is ToolCallPart { Name: "get_weather", Arguments: "{\"city\":\"Paris\"}", Id: "call_1" });
        Assert.Contains(turns.SelectMany(t => t.Parts), p => p is ToolResultPart { Content: "Sunny, 21C", Name: "get_weather" });
        Assert.Equal(ConversationRole.Assistant, turns[^1].Role);
        Assert.Contains("It is sunny.", turns[^1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_LegacyPrompts_GiveOneConversationEach()
    {
        var single = Parsed("""{"model":"m","prompt":"Once upon a time"}""", OpenAIApi.Completions);
        var batch = Parsed("""{"model":"m","prompt":["first","second"],"n":2}""", OpenAIApi.Completions);

        Assert.Equal("Once upon a time", Assert.Single(Assert.Single(single.Conversations).Turns).Text);
        Assert.Equal(["first", "second"], batch.Conversations.Select(c => Assert.Single(c.Turns).Text));
        Assert.Equal(OpenAIApi.Completions, batch.Api);
        Assert.Equal(2, batch.ChoiceCount);
    }

    [Theory]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}""", null, OpenAIRequestError.InvalidJson)]
    [InlineData("""[1,2]""", null, OpenAIRequestError.InvalidType)]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}]}""", "model", OpenAIRequestError.MissingField)]
    [InlineData("""{"model":7,"messages":[]}""", "model", OpenAIRequestError.InvalidType)]
    [InlineData("""{"model":"m"}""", "messages", OpenAIRequestError.MissingField)]
    [InlineData("""{"model":"m","messages":{}}""", "messages", OpenAIRequestError.InvalidType)]
    [InlineData("""{"model":"m","messages":[]}""", "messages", OpenAIRequestError.MissingField)]
    [InlineData("""{"model":"m","messages":["hi"]}""", "messages[0]", OpenAIRequestError.InvalidType)]
    [InlineData("""{"model":"m","messages":[{"content":"hi"}]}""", "messages[0].role", OpenAIRequestError.MissingField)]
    [InlineData("""{"model":"m","messages":[{"role":"wizard","content":"hi"}]}""", "messages[0].role", OpenAIRequestError.InvalidValue)]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":42}]}""", "messages[0].content", OpenAIRequestError.InvalidType)]
    [InlineData("""{"model":"m","messages":[{"role":"user"}]}""", "messages[0].content", OpenAIRequestError.MissingField)]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":[{"type":"text"}]}]}""", "messages[0].content[0].text", OpenAIRequestError.MissingField)]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":[{"text":"x"}]}]}""", "messages[0].content[0].type", OpenAIRequestError.MissingField)]
    [InlineData("""{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function"}]}]}""", "messages[0].tool_calls[0].function", OpenAIRequestError.MissingField)]
    [InlineData("""{"model":"m","stream":"yes","messages":[{"role":"user","content":"hi"}]}""", "stream", OpenAIRequestError.InvalidType)]
    [InlineData("""{"model":"m","n":0,"messages":[{"role":"user","content":"hi"}]}""", "n", OpenAIRequestError.InvalidValue)]
    [InlineData("""{"model":"m","n":"2","messages":[{"role":"user","content":"hi"}]}""", "n", OpenAIRequestError.InvalidValue)]
    [InlineData("""{"model":"m","n":1.5,"messages":[{"role":"user","content":"hi"}]}""", "n", OpenAIRequestError.InvalidValue)]
    [InlineData("""{"model":"m","stream_options":{"include_usage":1},"messages":[{"role":"user","content":"hi"}]}""", "stream_options.include_usage", OpenAIRequestError.InvalidType)]
    public void Parse_InvalidChatRequest_NamesTheParameter(string json, string? param, string code)
    {
        var error = Failed(Encoding.UTF8.GetBytes(json), OpenAIApi.ChatCompletions);

        Assert.Equal(code, error.Code);
        Assert.Equal(param, error.Param);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Theory]
    [InlineData("""{"model":"m"}""", "prompt", OpenAIRequestError.MissingField)]
    [InlineData("""{"model":"m","prompt":[1,2,3]}""", "prompt[0]", OpenAIRequestError.InvalidValue)]
    [InlineData("""{"model":"m","prompt":[[1,2]]}""", "prompt[0]", OpenAIRequestError.InvalidValue)]
    [InlineData("""{"model":"m","prompt":[]}""", "prompt", OpenAIRequestError.InvalidType)]
    [InlineData("""{"model":"m","prompt":["ok",{}]}""", "prompt[1]", OpenAIRequestError.InvalidType)]
    public void Parse_InvalidCompletionRequest_NamesTheParameter(string json, string param, string code)
    {
        var error = Failed(Encoding.UTF8.GetBytes(json), OpenAIApi.Completions);

        Assert.Equal(code, error.Code);
        Assert.Equal(param, error.Param);
    }

    [Theory]
    [InlineData(OpenAIApi.ChatCompletions, """{"model":"m","messages":[{"role":"user","content":"a\ud800b"}]}""")]
    [InlineData(OpenAIApi.Completions, """{"model":"m","prompt":"\udfff"}""")]
    [InlineData(OpenAIApi.Responses, """{"model":"m","input":"x\ud83d"}""")]
    public void Parse_LoneSurrogateEscape_IsABadRequestNotAnException(OpenAIApi api, string json)
    {
        var error = Failed(Encoding.UTF8.GetBytes(json), api);

        Assert.Equal(OpenAIRequestError.InvalidJson, error.Code);
        Assert.Contains("surrogate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DuplicatePropertyNames_AreRejectedSoTheBackendCannotSeeUncheckedText()
    {
        var error = Failed(Encoding.UTF8.GetBytes("""{"model":"m","messages":[{"role":"user","content":"weather","content":"something else"}]}"""), OpenAIApi.ChatCompletions);

        Assert.Equal(OpenAIRequestError.InvalidJson, error.Code);
    }

    [Fact]
    public void Parse_InvalidUtf8_IsRejected()
    {
        var body = Encoding.UTF8.GetBytes("""{"model":"m","messages":[{"role":"user","content":"AB"}]}""");
        var index = Array.IndexOf(body, (byte)'A');
        body[index] = 0xC3;
        body[index + 1] = 0x28;

        var error = Failed(body, OpenAIApi.ChatCompletions);

        Assert.Equal(OpenAIRequestError.InvalidJson, error.Code);
        Assert.Contains("UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NestingDeeperThanTheLimit_IsRejected()
    {
        var json = "{\"model\":\"m\",\"x\":" + new string('[', 200) + new string(']', 200) + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

        var error = Failed(Encoding.UTF8.GetBytes(json), OpenAIApi.ChatCompletions);

        Assert.Equal(OpenAIRequestError.InvalidJson, error.Code);
    }

    private static OpenAIRequest Parsed(string json, OpenAIApi api = OpenAIApi.ChatCompletions)
    {
        var result = OpenAIRequestParser.Parse(Encoding.UTF8.GetBytes(json), api);
        Assert.Null(result.Error);
        return result.Request!;
    }

    private static OpenAIRequestError Failed(byte[] body, OpenAIApi api)
    {
        var result = OpenAIRequestParser.Parse(body, api);
        Assert.Null(result.Request);
        return result.Error!;
    }
}
