using System.Globalization;
using System.Text;
using Guardrail.Classification;
using Guardrail.Conversations;

namespace Guardrail.Policies;

/// <summary>
/// Renders a resolved policy for people (<c>guardrail policy show</c>): every effective setting, defaults filled
/// in, each category with its action and whether the model is sent it, and the exact Llama Guard prompt the policy
/// produces for that model.
/// </summary>
public static class PolicyDescriber
{
    /// <summary>The placeholder written where the conversation goes in the shown prompt.</summary>
    public const string SampleUserMessage = "{user message}";

    /// <summary>Describes <paramref name="policy"/>; the prompt shown is a prompt check of <paramref name="userMessage"/>.</summary>
    public static string Describe(Policy policy, string userMessage = SampleUserMessage) =>
        Describe(policy, GuardModelVariant.Unknown, userMessage);

    /// <summary>
    /// Describes <paramref name="policy"/> as <paramref name="variant"/> is asked it: which categories that model
    /// gets, and its exact prompt for a prompt check of <paramref name="userMessage"/>.
    /// </summary>
    public static string Describe(Policy policy, GuardModelVariant variant, string userMessage = SampleUserMessage)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(variant);
        ArgumentException.ThrowIfNullOrWhiteSpace(userMessage);
        var text = new StringBuilder();
        Line(text, "policy", policy.Id);
        Line(text, "file", policy.SourceFile);
        Line(text, "content hash", policy.ContentHash);
        Line(text, "description", policy.Description ?? "(none)");
        Line(text, "default", policy.IsDefault ? "yes" : "no");
        Line(text, "taxonomy", policy.Taxonomy.Id);
        Line(text, "threshold", policy.Threshold.ToString("0.######", CultureInfo.InvariantCulture));
        Line(text, "checks", $"prompts {OnOff(policy.CheckPrompts)}, responses {OnOff(policy.CheckResponses)}");
        Line(text, "streaming", policy.Streaming.Mode == StreamingMode.Buffer
            ? "buffer"
            : string.Create(CultureInfo.InvariantCulture, $"{Name(policy.Streaming.Mode)}, window {policy.Streaming.WindowChars} chars, overlap {policy.Streaming.OverlapChars} chars"));
        Line(text, "on_error", policy.OnError == ErrorAction.Block ? "block (fail closed)" : "allow (fail open)");
        Line(text, "blocked prompts", policy.BlockedPromptResponse == BlockedPromptResponse.Error ? "error (HTTP 400, content_filter)" : "refusal (HTTP 200, finish_reason content_filter)");
        Line(text, "refusal text", policy.RefusalText);
        Line(text, "applies to", policy.AppliesTo.IsEmpty
            ? "(only by id or as the default)"
            : $"tenants {List(policy.AppliesTo.Tenants)}, models {List(policy.AppliesTo.Models)}, routes {List(policy.AppliesTo.Routes)}");
        Line(text, "shadow", policy.Shadow ?? "(none)");
        Line(text, "content retention", policy.ContentRetention is { } retention ? Name(retention) : "inherit");
        Line(text, "model", variant.IsKnown
            ? $"{variant.Id} ({variant.DisplayName}; its prompts list only the categories it was trained on)"
            : $"{variant.Id} (every enabled category is sent)");
        text.Append("categories:\n");
        var width = policy.Categories.Max(static category => category.Code.Length);
        foreach (var category in policy.Categories)
        {
            text.Append("  ").Append(category.Code.PadRight(width)).Append("  ").Append(Name(category.Action).PadRight(5))
                .Append("  ").Append(category.Category.Name).Append(category.IsCustom ? " (custom)" : string.Empty);
            if (category.Action != CategoryAction.Off && !variant.Knows(category.Category))
            {
                text.Append(" (not sent: ").Append(variant.Id).Append(" was not trained on it)");
            }

            text.Append('\n');
        }

        if (policy.PromptCategories.Count == 0)
        {
            return text.Append("prompt: (none; every category is off and no check runs)\n").ToString();
        }

        var categories = policy.PromptCategoriesFor(variant);
        if (categories.Count == 0)
        {
            return text.Append("prompt: (none; ").Append(variant.Id).Append(" knows none of the enabled categories, so every check fails per on_error)\n").ToString();
        }

        text.Append("prompt (prompt check):\n");
        var conversation = new Conversation([ConversationTurn.User(userMessage)]);
        text.Append(LlamaGuardPromptBuilder.Build(conversation, CheckDirection.Prompt, categories).Render());
        return text.ToString();
    }

    private static void Line(StringBuilder text, string name, string value) => text.Append(name).Append(": ").Append(value).Append('\n');

    private static string OnOff(bool value) => value ? "on" : "off";

    private static string List(IReadOnlyList<string> values) => values.Count == 0 ? "(any)" : "[" + string.Join(", ", values) + "]";

    private static string Name<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();
}
