using Guardrail.Conversations;

namespace Guardrail.Core.Tests.Conversations;

public sealed class ConversationTests
{
    [Fact]
    public void Constructor_ConsecutiveSameRoleTurns_AreMergedSoRolesAlternate()
    {
        var conversation = new Conversation(
        [
            ConversationTurn.User("a"),
            ConversationTurn.User("b"),
            ConversationTurn.Assistant("c"),
            ConversationTurn.Assistant("d"),
            ConversationTurn.User("e"),
        ]);

        Assert.Equal(["a\nb", "c\nd", "e"], conversation.Turns.Select(turn => turn.Text));
    }

    [Fact]
    public void Append_AssistantReply_ReturnsNewConversationAndLeavesOriginal()
    {
        var prompt = new Conversation([ConversationTurn.User("q")], ["system"]);

        var withReply = prompt.Append(ConversationTurn.Assistant("a"));

        Assert.Single(prompt.Turns);
        Assert.Equal(2, withReply.Turns.Count);
        Assert.Equal(["system"], withReply.SystemMessages);
        Assert.Empty(withReply.Validate(CheckDirection.Response));
    }

    [Theory]
    [InlineData(CheckDirection.Prompt, ConversationRole.User, true)]
    [InlineData(CheckDirection.Prompt, ConversationRole.Assistant, false)]
    [InlineData(CheckDirection.Response, ConversationRole.Assistant, true)]
    [InlineData(CheckDirection.Response, ConversationRole.User, false)]
    public void Validate_LastTurnRole_MustMatchDirection(CheckDirection direction, ConversationRole lastRole, bool valid)
    {
        var last = lastRole == ConversationRole.User ? ConversationTurn.User("x") : ConversationTurn.Assistant("x");
        var conversation = new Conversation([ConversationTurn.User("first"), ConversationTurn.Assistant("second"), last]);

        Assert.Equal(valid, conversation.Validate(direction).Count == 0);
    }

    [Fact]
    public void Validate_Empty_ReportsMissingTurns()
    {
        var error = Assert.Single(Conversation.Empty.Validate(CheckDirection.Prompt));

        Assert.Contains("no user or assistant turns", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Label_Roles_AreUserAndAgent()
    {
        Assert.Equal("User", CheckDirection.Prompt.RoleLabel());
        Assert.Equal("Agent", CheckDirection.Response.RoleLabel());
    }

    [Fact]
    public void TurnEquality_SameParts_AreEqual()
    {
        Assert.Equal(ConversationTurn.User("x"), ConversationTurn.User("x"));
        Assert.NotEqual(ConversationTurn.User("x"), ConversationTurn.Assistant("x"));
    }
}
