using Guardrail.Caching;
using Guardrail.Conversations;
using Guardrail.Core.Tests.Policies;

namespace Guardrail.Core.Tests.Caching;

public sealed class VerdictCacheKeyTests
{
    private static readonly Guardrail.Taxonomy.HazardCategory[] Categories = [.. PolicyTestFiles.Policy("id: p\ntaxonomy: llama-guard-3\n").PromptCategories];

    private static Conversation Chat(params string[] texts) => new(texts.Select((text, i) => i % 2 == 0 ? ConversationTurn.User(text) : ConversationTurn.Assistant(text)));

    private static VerdictCacheKey Key(Conversation conversation, CheckDirection direction = CheckDirection.Prompt, string model = "m1") =>
        VerdictCacheKey.Create(conversation, direction, Categories, model);

    [Fact]
    public void Create_SameInputs_SameKeyInTheDocumentedShape()
    {
        var first = Key(Chat("How do I bake bread?"));
        var second = Key(Chat("How do I bake bread?"));

        Assert.Equal(first, second);
        Assert.Matches("^verdict:v1:[0-9a-f]{64}$", first.Value);
    }

    [Fact]
    public void Create_NeverContainsContent()
    {
        var key = Key(Chat("secret-token-42"));

        Assert.DoesNotContain("secret", key.Value, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_AnyInputChanges_KeyChanges()
    {
        var baseline = Key(Chat("hello", "hi there", "bye"));

        Assert.NotEqual(baseline, Key(Chat("hello", "hi there", "bye!")));
        Assert.NotEqual(baseline, Key(Chat("hello", "hi there", "bye"), model: "m2"));
        Assert.NotEqual(Key(Chat("hello", "hi")), Key(Chat("hello", "hi"), CheckDirection.Response));
        Assert.NotEqual(baseline, VerdictCacheKey.Create(Chat("hello", "hi there", "bye"), CheckDirection.Prompt, Categories[..^1], "m1"));
    }

    [Fact]
    public void Create_TextsMovedAcrossTurnBoundaries_KeysDiffer()
    {
        // Length prefixes keep "ab" + "c" apart from "a" + "bc".
        Assert.NotEqual(Key(Chat("ab", "c", "d")), Key(Chat("a", "bc", "d")));
    }

    [Fact]
    public void Create_SystemMessagesOnly_Differ_SameKey()
    {
        // Llama Guard never sees system messages, so they cannot change its verdict.
        var plain = new Conversation([ConversationTurn.User("hello")]);
        var withSystem = new Conversation([ConversationTurn.User("hello")], ["You are a pirate."]);

        Assert.Equal(Key(plain), Key(withSystem));
    }
}
