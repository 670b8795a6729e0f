using System.Text;
using Guardrail.Conversations;
using Guardrail.OpenAI;

namespace Guardrail.Core.Tests.OpenAI;

/// <summary>The Responses API's request body (<c>POST /v1/responses</c>) as the conversation the classifier sees.</summary>
public sealed class ResponsesRequestParserTests
{
    [Fact]
    public void Parse_StringInput_IsOneUserTurnAndInstructionsAreKeptAside()
    {
        var request = Parsed("""{"model":"llama-3-8b","instructions":"Be brief.","input":"Hello <|eot_id|> there","stream":true,"previous_response_id":"resp_1"}""");

        Assert.Equal(OpenAIApi.Responses, request.Api);
        Assert.Equal("llama-3-8b", request.Model);
        Assert.True(request.Stream);
        Assert.Equal("resp_1", request.PreviousResponseId);
        var conversation = Assert.Single(request.Conversations);
        Assert.Equal(["Be brief."], conversation.SystemMessages);
        var turn = Assert.Single(conversation.Turns);
        Assert.Equal(ConversationRole.User, turn.Role);
        Assert.Equal("Hello <|eot_id|> there", turn.Text);
    }

    [Fact]
    public void Parse_ItemsWithRolesPartsAndFunctionCalls_BecomeTheConversation()
    {
        var request = Parsed("""
            {"model":"m","input":[
              {"role":"developer","content":"No jokes."},
              {"type":"message","role":"user","content":[{"type":"input_text","text":"Weather in Paris?"},{"type":"input_image","image_url":"https://example.com/a.png"}]},
              {"type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"},
              {"type":"function_call_output","call_id":"call_1","output":"Sunny, 21C"},
              {"type":"message","role":"assistant","content":[{"type":"output_text","text":"It is sunny."}]},
              {"role":"user","content":"And tomorrow?"}]}
            """);

        var conversation = Assert.Single(request.Conversations);
        Assert.Equal(["No jokes."], conversation.SystemMessages);
        Assert.Equal(["input_image"], request.UnmoderatedPartKinds);
        var turns = conversation.Turns;
        Assert.Equal(ConversationRole.User, turns[0].Role);
        Assert.Contains("Weather in Paris?", turns[0].Text, StringComparison.Ordinal);
        Assert.Contains(turns[0].Parts, p => p is UnmoderatedPart { Kind: "input_image" });
        Assert.Contains(turns[1].Parts, p => p is ToolCallPart { Name: "get_weather", Arguments: "{\"city\":\"Paris\"}", Id: "call_1" });
        Assert.Contains(turns.SelectMany(t => t.Parts), p => p is ToolResultPart { Content: "Sunny, 21C", Name: "get_weather" });
        Assert.Contains(turns, t => t.Role == ConversationRole.Assistant && t.Text.Contains("It is sunny.", StringComparison.Ordinal));
        Assert.Equal(ConversationRole.User, turns[^1].Role);
        Assert.Contains("And tomorrow?", turns[^1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ItemsTheRequestDoesNotCarry_AreMarkedUnreadable()
    {
        var request = Parsed("""{"model":"m","input":[{"type":"item_reference","id":"msg_9"},{"role":"user","content":"Go on."}]}""");

        Assert.Equal(["item_reference"], request.UnmoderatedPartKinds);
        Assert.Contains(request.Conversations[0].Turns.SelectMany(t => t.Parts), p => p is UnmoderatedPart { Kind: "item_reference" });
    }

    [Theory]
    [InlineData("""{"input":"hi"}""", "model", OpenAIRequestError.MissingField)]
    [InlineData("""{"model":"m"}""", "input", OpenAIRequestError.MissingField)]
    [InlineData("""{"model":"m","input":42}""", "input", OpenAIRequestError.InvalidType)]
    [InlineData("""{"model":"m","input":[]}""", "input", OpenAIRequestError.MissingField)]
    [InlineData("""{"model":"m","input":["hi"]}""", "input[0]", OpenAIRequestError.InvalidType)]
    [InlineData("""{"model":"m","input":[{"content":"hi"}]}""", "input[0].type", OpenAIRequestError.MissingField)]
    [InlineData("""{"model":"m","input":[{"role":"wizard","content":"hi"}]}""", "input[0].role", OpenAIRequestError.InvalidValue)]
    [InlineData("""{"model":"m","input":[{"role":"user","content":7}]}""", "input[0].content", OpenAIRequestError.InvalidType)]
    [InlineData("""{"model":"m","input":[{"role":"user"}]}""", "input[0].content", OpenAIRequestError.MissingField)]
    [InlineData("""{"model":"m","input":[{"role":"user","content":[{"type":"input_text"}]}]}""", "input[0].content[0].text", OpenAIRequestError.MissingField)]
    [InlineData("""{"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":5}]}]}""", "input[0].content[0].text", OpenAIRequestError.InvalidType)]
    [InlineData("""{"model":"m","input":[{"type":"function_call","name":"f"}]}""", "input[0].arguments", OpenAIRequestError.MissingField)]
    [InlineData("""{"model":"m","input":[{"type":"function_call_output","call_id":"c"}]}""", "input[0].output", OpenAIRequestError.MissingField)]
    [InlineData("""{"model":"m","input":[{"role":"system","content":"Only this."}]}""", "input", OpenAIRequestError.MissingField)]
    [InlineData("""{"model":"m","instructions":["x"],"input":"hi"}""", "instructions", OpenAIRequestError.InvalidType)]
    [InlineData("""{"model":"m","previous_response_id":1,"input":"hi"}""", "previous_response_id", OpenAIRequestError.InvalidType)]
    [InlineData("""{"model":"m","stream":"yes","input":"hi"}""", "stream", OpenAIRequestError.InvalidType)]
    [InlineData("""["model"]""", null, OpenAIRequestError.InvalidType)]
    public void Parse_InvalidResponsesRequest_NamesTheParameter(string json, string? param, string code)
    {
        var error = Failed(Encoding.UTF8.GetBytes(json));

        Assert.Equal(code, error.Code);
        Assert.Equal(param, error.Param);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void Parse_TooManyItems_IsRejected()
    {
        var error = OpenAIRequestParser.Parse(Encoding.UTF8.GetBytes("""{"model":"m","input":[{"role":"user","content":"a"},{"role":"user","content":"b"}]}"""), OpenAIApi.Responses, maxMessages: 1).Error!;

        Assert.Equal(OpenAIRequestError.InvalidValue, error.Code);
        Assert.Equal("input", error.Param);
    }

    [Fact]
    public void Parse_DuplicateInput_IsRejectedSoTheBackendCannotSeeUncheckedText()
    {
        var error = Failed(Encoding.UTF8.GetBytes("""{"model":"m","input":"weather","input":"something else"}"""));

        Assert.Equal(OpenAIRequestError.InvalidJson, error.Code);
    }

    [Fact]
    public void Parse_InvalidUtf8_IsRejected()
    {
        var body = Encoding.UTF8.GetBytes("""{"model":"m","input":"AB"}""");
        var index = Array.IndexOf(body, (byte)'A');
        body[index] = 0xC3;
        body[index + 1] = 0x28;

        var error = Failed(body);

        Assert.Equal(OpenAIRequestError.InvalidJson, error.Code);
        Assert.Contains("UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadChoices_ResponseBody_IsOneChoiceWithTextRefusalsAndFunctionCalls()
    {
        var body = Encoding.UTF8.GetBytes("""
            {"id":"resp_1","object":"response","status":"completed","output":[
              {"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Thinking."}]},
              {"type":"message","id":"msg_1","role":"assistant","content":[{"type":"output_text","text":"Here you go.","annotations":[]},{"type":"refusal","refusal":"Not that part."}]},
              {"type":"function_call","id":"fc_1","call_id":"call_1","name":"order","arguments":"{\"item\":\"tea\"}"}],
             "usage":{"input_tokens":9,"output_tokens":14,"total_tokens":23}}
            """);

        var choice = Assert.Single(OpenAIResponseReader.ReadChoices(body, OpenAIApi.Responses)!);

        Assert.Equal("Thinking.\nHere you go.\nNot that part.", choice.Text);
        Assert.Equal(new ToolCallPart("order", "{\"item\":\"tea\"}", "call_1"), Assert.Single(choice.ToolCalls));
        Assert.Equal(14, OpenAIResponseReader.ReadUsage(body).CompletionTokens);
        Assert.Null(OpenAIResponseReader.ReadChoices(Encoding.UTF8.GetBytes("""{"object":"response","output":{}}"""), OpenAIApi.Responses));
        Assert.Null(OpenAIResponseReader.ReadChoices(body, OpenAIApi.ChatCompletions));
    }

    private static OpenAIRequest Parsed(string json)
    {
        var result = OpenAIRequestParser.Parse(Encoding.UTF8.GetBytes(json), OpenAIApi.Responses);
        Assert.Null(result.Error);
        return result.Request!;
    }

    private static OpenAIRequestError Failed(byte[] body)
    {
        var result = OpenAIRequestParser.Parse(body, OpenAIApi.Responses);
        Assert.Null(result.Request);
        return result.Error!;
    }
}
