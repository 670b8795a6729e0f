using Guardrail.Classification;
using Guardrail.Conversations;

namespace Guardrail.Core.Tests.Classification;

public sealed class LlamaGuardPromptTokenizerTests
{
    private static LlamaGuardPrompt Prompt(params ConversationTurn[] turns) =>
        LlamaGuardPromptBuilder.Build(
            new Conversation(turns),
            turns[^1].Role == ConversationRole.User ? CheckDirection.Prompt : CheckDirection.Response,
            TestFiles.LlamaGuard3.Categories);

    private static int Length(string text, bool parseSpecial) => new CharacterTokenizer().Tokenize(text, parseSpecial).Length;

    [Fact]
    public void Tokenize_FitsBudget_TokensEqualWholePromptAndNothingTruncated()
    {
        var prompt = Prompt(ConversationTurn.User("hello"), ConversationTurn.Assistant("hi there"), ConversationTurn.User("bye"));

        var result = new LlamaGuardPromptTokenizer(new CharacterTokenizer()).Tokenize(prompt, 100_000);

        Assert.Equal(new CharacterTokenizer().Tokenize(prompt.Render(), parseSpecial: true), result.Tokens);
        Assert.False(result.Truncated);
        Assert.Equal(0, result.DroppedTurns);
        Assert.Equal(0, result.OmittedTokens);
    }

    [Fact]
    public void Tokenize_AnyPrompt_PrefixTokenCountCoversPrefixSegment()
    {
        var prompt = Prompt(ConversationTurn.User("hello"));

        var result = new LlamaGuardPromptTokenizer(new CharacterTokenizer()).Tokenize(prompt, 100_000);

        var prefixTokens = new CharacterTokenizer().Tokenize(LlamaGuardPromptBuilder.BuildPrefix(CheckDirection.Prompt, TestFiles.LlamaGuard3.Categories), true);
        Assert.Equal(prefixTokens.Length, result.PrefixTokenCount);
        Assert.Equal(prefixTokens, result.Tokens.Take(result.PrefixTokenCount));
        Assert.Equal(128000, result.Tokens[0]);
        Assert.Equal("User:", CharacterTokenizer.Decode(result.Tokens.Skip(result.PrefixTokenCount).Take(5)));
    }

    [Fact]
    public void Tokenize_AnyPrompt_SuffixTokenCountCoversTheClosingLinesAndALaterTurnExtendsTheConversation()
    {
        var first = Prompt(ConversationTurn.User("hello"));
        var later = Prompt(ConversationTurn.User("hello"), ConversationTurn.Assistant("hi there"), ConversationTurn.User("and now?"));
        var tokenizer = new LlamaGuardPromptTokenizer(new CharacterTokenizer());

        var a = tokenizer.Tokenize(first, 100_000);
        var b = tokenizer.Tokenize(later, 100_000);

        Assert.StartsWith("<END CONVERSATION>", CharacterTokenizer.Decode(a.Tokens.Skip(a.Tokens.Length - a.SuffixTokenCount)), StringComparison.Ordinal);
        // The conversation of the first check (all but its closing lines) is where the later one starts: what a
        // cached earlier check gives a chat's next one.
        var conversation = a.Tokens.Length - a.SuffixTokenCount;
        Assert.Equal(a.Tokens.Take(conversation), b.Tokens.Take(conversation));
        Assert.Equal(a.Tokens.Skip(conversation), b.Tokens.Skip(b.Tokens.Length - b.SuffixTokenCount));
    }

    [Fact]
    public void Tokenize_Segments_ScaffoldWithSpecialTokensContentWithout()
    {
        var tokenizer = new CharacterTokenizer();
        var prompt = Prompt(ConversationTurn.User("question"), ConversationTurn.Assistant("answer"));

        _ = new LlamaGuardPromptTokenizer(tokenizer).Tokenize(prompt, 100_000);

        Assert.Equal(prompt.Segments.Select(segment => (segment.Text, segment.ParseSpecial)), tokenizer.Calls);
        Assert.Contains((" answer\n\n", false), tokenizer.Calls);
    }

    [Fact]
    public void Tokenize_OverBudget_DropsOldestWholeTurnsAndKeepsLastTurnWhole()
    {
        var turns = new[]
        {
            ConversationTurn.User(new string('a', 100)),
            ConversationTurn.Assistant(new string('b', 100)),
            ConversationTurn.User(new string('c', 100)),
            ConversationTurn.Assistant(new string('d', 100)),
            ConversationTurn.User(new string('e', 300)),
        };
        var prompt = Prompt(turns);
        var scaffold = Length(prompt.Prefix.Text, true) + Length(prompt.Suffix.Text, true);
        // Each turn costs label + " " + text + "\n\n": room for the last turn and two earlier ones, not three.
        var budget = scaffold + (5 + 303) + (6 + 103) + (5 + 103) + 50;

        var result = new LlamaGuardPromptTokenizer(new CharacterTokenizer()).Tokenize(prompt, budget);
        var text = CharacterTokenizer.Decode(result.Tokens);

        Assert.True(result.Truncated);
        Assert.Equal(2, result.DroppedTurns);
        Assert.Equal(0, result.OmittedTokens);
        Assert.True(result.Tokens.Length <= budget);
        Assert.DoesNotContain("aaa", text, StringComparison.Ordinal);
        Assert.DoesNotContain("bbb", text, StringComparison.Ordinal);
        Assert.Contains("User: " + new string('c', 100) + "\n\nAgent: " + new string('d', 100) + "\n\nUser: " + new string('e', 300) + "\n\n<END CONVERSATION>", text, StringComparison.Ordinal);
        Assert.Equal(Length(prompt.Prefix.Text, true), result.PrefixTokenCount);
    }

    [Fact]
    public void Tokenize_BudgetExactlyTheWholePrompt_NothingDroppedAndOneLessDropsOldest()
    {
        var prompt = Prompt(ConversationTurn.User("first"), ConversationTurn.Assistant("second"), ConversationTurn.User("third"));
        var whole = Length(prompt.Render(), true);
        var tokenizer = new LlamaGuardPromptTokenizer(new CharacterTokenizer());

        var exact = tokenizer.Tokenize(prompt, whole);
        var oneLess = tokenizer.Tokenize(prompt, whole - 1);

        Assert.Equal(whole, exact.Tokens.Length);
        Assert.False(exact.Truncated);
        Assert.Equal(1, oneLess.DroppedTurns);
        Assert.Equal(whole - Length("User: first\n\n", true), oneLess.Tokens.Length);
        Assert.StartsWith(prompt.Prefix.Text + "Agent: second", CharacterTokenizer.Decode(oneLess.Tokens), StringComparison.Ordinal);
    }

    [Fact]
    public void Tokenize_OlderTurnTooBigButNewerFits_StopsAtFirstMissingTurnSoKeptTurnsAreContiguous()
    {
        var prompt = Prompt(
            ConversationTurn.User("x"),
            ConversationTurn.Assistant(new string('b', 500)),
            ConversationTurn.User("last"));
        var budget = Length(prompt.Render(), true) - 100;

        var result = new LlamaGuardPromptTokenizer(new CharacterTokenizer()).Tokenize(prompt, budget);

        Assert.Equal(2, result.DroppedTurns);
        Assert.DoesNotContain("User: x", CharacterTokenizer.Decode(result.Tokens), StringComparison.Ordinal);
    }

    [Fact]
    public void Tokenize_LastTurnLongerThanBudget_CutsMiddleWithVisibleMarker()
    {
        var head = string.Concat(Enumerable.Repeat("HEAD", 50));
        var tail = string.Concat(Enumerable.Repeat("TAIL", 50));
        var longText = head + new string('m', 5000) + tail;
        var prompt = Prompt(ConversationTurn.User("earlier"), ConversationTurn.Assistant("reply"), ConversationTurn.User(longText));
        var scaffold = Length(prompt.Prefix.Text, true) + Length(prompt.Suffix.Text, true) + Length("User:", true);
        var budget = scaffold + 1000;

        var result = new LlamaGuardPromptTokenizer(new CharacterTokenizer()).Tokenize(prompt, budget);
        var text = CharacterTokenizer.Decode(result.Tokens);

        Assert.True(result.Truncated);
        Assert.Equal(2, result.DroppedTurns);
        Assert.True(result.Tokens.Length <= budget, $"{result.Tokens.Length} > {budget}");
        var contentLength = longText.Length + 3;
        var marker = LlamaGuardPromptTokenizer.OmissionMarker(result.OmittedTokens);
        Assert.Equal(contentLength - (1000 - marker.Length), result.OmittedTokens);
        Assert.Contains(marker, text, StringComparison.Ordinal);
        Assert.Contains($"[... {result.OmittedTokens} tokens omitted ...]", text, StringComparison.Ordinal);
        Assert.Contains("User: " + head, text, StringComparison.Ordinal);
        Assert.Contains(tail + "\n\n<END CONVERSATION>", text, StringComparison.Ordinal);
        Assert.EndsWith("<|end_header_id|>\n\n", text, StringComparison.Ordinal);
        Assert.StartsWith(LlamaGuardPromptBuilder.BuildPrefix(CheckDirection.Prompt, TestFiles.LlamaGuard3.Categories) + "User:", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Tokenize_MarkerLengthCrossesDigitBoundary_StillWithinBudgetAndCountsExact()
    {
        // Omitting around 10,000 tokens changes the marker's digit count; every budget must still fit, and kept
        // plus omitted tokens must add up to the whole turn.
        var prompt = Prompt(ConversationTurn.User(new string('z', 10_050)));
        var scaffold = Length(prompt.Prefix.Text, true) + Length(prompt.Suffix.Text, true) + Length("User:", true);

        var digitCounts = new HashSet<int>();
        for (var room = 50; room < 110; room++)
        {
            var result = new LlamaGuardPromptTokenizer(new CharacterTokenizer()).Tokenize(prompt, scaffold + room);

            var marker = LlamaGuardPromptTokenizer.OmissionMarker(result.OmittedTokens);
            var keptContent = result.Tokens.Length - scaffold - marker.Length;
            Assert.True(result.Tokens.Length <= scaffold + room);
            Assert.Contains(marker, CharacterTokenizer.Decode(result.Tokens), StringComparison.Ordinal);
            Assert.Equal(10_053, keptContent + result.OmittedTokens);
            digitCounts.Add(result.OmittedTokens.ToString(System.Globalization.CultureInfo.InvariantCulture).Length);
        }

        Assert.Equal([4, 5], digitCounts.Order());
    }

    [Fact]
    public void Tokenize_BudgetSmallerThanScaffold_ThrowsActionableError()
    {
        var prompt = Prompt(ConversationTurn.User("hello"));

        var exception = Assert.Throws<InvalidOperationException>(() => new LlamaGuardPromptTokenizer(new CharacterTokenizer()).Tokenize(prompt, 100));

        Assert.Contains("raise the context size", exception.Message, StringComparison.Ordinal);
    }
}
