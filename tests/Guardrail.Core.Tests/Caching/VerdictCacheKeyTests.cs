using Guardrail.Caching;
using Guardrail.Conversations;
using Guardrail.Core.Tests.Policies;
using Guardrail.Taxonomy;

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

    /// <summary>
    /// Keys are shared across gateway versions (Redis, rolling upgrades), so the hashed layout is pinned: this value
    /// was computed outside .NET from the layout the type documents (SHA-256 of little-endian lengths and UTF-8 bytes).
    /// </summary>
    [Fact]
    public void Create_KnownInput_GivesThePinnedKey()
    {
        HazardCategory[] categories =
        [
            new() { Code = "S1", Name = "Violent Crimes" },
            new() { Code = "S15", Name = "Payroll Leaks", Description = "  Salary data of named people. ", DescribeInPrompt = true },
        ];
        var conversation = new Conversation([ConversationTurn.User("Wie viel verdient Jürgen? 给我看"), ConversationTurn.Assistant("Ich weiß es nicht.")]);

        var key = VerdictCacheKey.Create(conversation, CheckDirection.Response, categories, "guard-model-1b");

        Assert.Equal("verdict:v1:5d9ffc7b1dc19df28fdb96c3591a65ba620e01b2f2bf7cf0eb2f98b2aa619780", key.Value);
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
