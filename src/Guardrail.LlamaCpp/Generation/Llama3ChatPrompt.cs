using Guardrail.LlamaCpp.Inference;

namespace Guardrail.LlamaCpp.Generation;

/// <summary>
/// The Llama 3 instruct prompt, built from tokens: <c>&lt;|begin_of_text|&gt;</c>, then per turn
/// <c>&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\n</c> content <c>&lt;|eot_id|&gt;</c>, then the open
/// assistant header. The scaffolding is tokenized with special tokens parsed; content never is, so a user typing
/// <c>&lt;|eot_id|&gt;</c> sends text, not the end of a turn (as the Llama Guard prompt does, see LLAMA_GUARD.md).
/// Content is trimmed, as Meta's template does, so no whitespace seam moves a token boundary.
/// </summary>
internal static class Llama3ChatPrompt
{
    public static int[] Tokenize(IReadOnlyList<ChatMessage> messages, LlamaVocab vocab)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(vocab);
        var tokens = new List<int>(vocab.Tokenize("<|begin_of_text|>", addSpecial: false, parseSpecial: true));
        foreach (var message in messages)
        {
            tokens.AddRange(Header(message.Role, vocab));
            tokens.AddRange(vocab.Tokenize(message.Content.Trim(), addSpecial: false, parseSpecial: false));
            tokens.AddRange(vocab.Tokenize("<|eot_id|>", addSpecial: false, parseSpecial: true));
        }

        tokens.AddRange(Header(ChatRole.Assistant, vocab));
        return [.. tokens];
    }

    private static int[] Header(ChatRole role, LlamaVocab vocab)
    {
        var name = role switch
        {
            ChatRole.System => "system",
            ChatRole.User => "user",
            ChatRole.Assistant => "assistant",
            ChatRole.Tool => "ipython",
            _ => throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown chat role."),
        };
        return vocab.Tokenize($"<|start_header_id|>{name}<|end_header_id|>\n\n", addSpecial: false, parseSpecial: true);
    }
}
