using Guardrail.Conversations;

namespace Guardrail.Core.Tests.Conversations;

public sealed class ConversationBuilderTests
{
    [Fact]
    public void Build_SystemMessages_KeptAsideNotTurns()
    {
        var conversation = new ConversationBuilder().AddSystem("be nice").AddUser("hi").AddSystem("again").Build();

        Assert.Equal(["be nice", "again"], conversation.SystemMessages);
        var turn = Assert.Single(conversation.Turns);
        Assert.Equal(ConversationRole.User, turn.Role);
        Assert.Equal("hi", turn.Text);
    }

    [Fact]
    public void Build_ToolCallThenResultThenAnswer_OneAgentTurnInOrderWithNameFromCallId()
    {
        var conversation = new ConversationBuilder()
            .AddUser("weather?")
            .AddAssistant("Let me check.", new ToolCallPart("get_weather", """{"city":"Paris"}""", "call_1"))
            .AddToolResult("sunny", toolCallId: "call_1")
            .AddAssistant("It is sunny.")
            .Build();

        Assert.Equal(2, conversation.Turns.Count);
        Assert.Equal(
            "Let me check.\n[tool call get_weather({\"city\":\"Paris\"})]\n[tool result get_weather: sunny]\nIt is sunny.",
            conversation.Turns[1].Text);
    }

    [Fact]
    public void Build_TrailingToolResults_BecomeUserTurnForInputCheck()
    {
        var conversation = new ConversationBuilder()
            .AddUser("weather?")
            .AddAssistant(null, new ToolCallPart("get_weather", "{}", "c1"), new ToolCallPart("get_time", "{}", "c2"))
            .AddToolResult("sunny", "c1")
            .AddToolResult("noon", "c2")
            .Build();

        Assert.Equal([ConversationRole.User, ConversationRole.Assistant, ConversationRole.User], conversation.Turns.Select(turn => turn.Role));
        Assert.Equal("[tool result get_weather: sunny]\n[tool result get_time: noon]", conversation.Turns[2].Text);
        Assert.Empty(conversation.Validate(CheckDirection.Prompt));
    }

    [Fact]
    public void Build_ResultWithUnknownCallIdAndNoName_RenderedWithoutName()
    {
        var conversation = new ConversationBuilder().AddToolResult("42", "missing").AddUser("and?").Build();

        Assert.Equal("[tool result: 42]\nand?", Assert.Single(conversation.Turns).Text);
    }

    [Fact]
    public void Build_ConsecutiveUserMessages_MergedIntoOneTurn()
    {
        var conversation = new ConversationBuilder().AddUser("one").AddUser("two").Build();

        Assert.Equal("one\ntwo", Assert.Single(conversation.Turns).Text);
    }
}
