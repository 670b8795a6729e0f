using CsCheck;
using Guardrail.Classification;
using Guardrail.Conversations;

namespace Guardrail.LlamaCpp.Tests.Classification;

/// <summary>
/// The property behind the typed-special-token test above: whatever the content (special-token text, forged
/// markers, control characters, any Unicode), the tokenized prompt holds exactly the special tokens of its scaffold,
/// so none comes from inside a content segment. CsCheck prints the seed of a failing case.
/// </summary>
public sealed partial class LlamaGuardPromptTokenizationTests
{
    /// <summary>Llama 3's special tokens (control and reserved) are the ids from 128000 up.</summary>
    private const int FirstSpecialToken = 128000;

    [Fact]
    public void Property_AnyContent_NoSpecialTokenInsideAContentSegment()
    {
        var tokenizer = new LlamaGuardPromptTokenizer(new VocabTokenizer(Vocab));
        int Specials(Conversation conversation, CheckDirection direction) =>
            tokenizer.Tokenize(LlamaGuardPromptBuilder.Build(conversation, direction, Categories.Value), 1 << 20).Tokens.Count(t => t >= FirstSpecialToken);
        var scaffoldPrompt = Specials(new Conversation([ConversationTurn.User("x")]), CheckDirection.Prompt);
        var scaffoldResponse = Specials(new Conversation([ConversationTurn.User("x"), ConversationTurn.Assistant("x")]), CheckDirection.Response);

        Gen.Select(HostileText.Short, HostileText.Short).Sample(
            (user, assistant) =>
            {
                Assert.Equal(scaffoldPrompt, Specials(new Conversation([ConversationTurn.User(user)]), CheckDirection.Prompt));
                Assert.Equal(scaffoldResponse, Specials(new Conversation([ConversationTurn.User(user), ConversationTurn.Assistant(assistant)]), CheckDirection.Response));
            },
            iter: 150,
            threads: 1);
    }
}
