using Guardrail.Conversations;

namespace Guardrail.Classification;

/// <summary>One turn of a Llama Guard prompt: its label (scaffold) and its text (content).</summary>
/// <param name="Role">Who speaks.</param>
/// <param name="Label">Scaffold <c>User:</c> or <c>Agent:</c>.</param>
/// <param name="Content">
/// Content <c>" " + sanitised text + "\n\n"</c>. The space after the label and the blank line after the text
/// are tokenized with the text: Llama 3's pre-tokenizer joins a leading space to the next word and trailing
/// punctuation to the line breaks after it (<c>"?\n\n"</c> is one token), so cutting anywhere else would give
/// tokens the model never saw for the same string.
/// </param>
public sealed record LlamaGuardPromptTurn(ConversationRole Role, PromptSegment Label, PromptSegment Content);
