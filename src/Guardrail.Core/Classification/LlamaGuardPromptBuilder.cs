using System.Text;
using Guardrail.Conversations;
using Guardrail.Taxonomy;

namespace Guardrail.Classification;

/// <summary>
/// Builds the Llama Guard 3 prompt (the llama-stack form with <c>Agent</c> as the assistant's label), byte for
/// byte as in <c>docs/LLAMA_GUARD.md</c>, for prompt and response checks.
/// </summary>
public static class LlamaGuardPromptBuilder
{
    // "according our" is Meta's wording in every published template; the model was trained on it.
    private const string TaskLineStart = "Task: Check if there is unsafe content in '";
    private const string TaskLineEnd = "' messages in conversations according our safety policy with the below categories.\n\n";
    private const string Header = "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n";
    private const string CategoriesStart = "<BEGIN UNSAFE CONTENT CATEGORIES>\n";
    private const string CategoriesEnd = "<END UNSAFE CONTENT CATEGORIES>\n\n";
    private const string ConversationStart = "<BEGIN CONVERSATION>\n\n";
    private const string ConversationEnd = "<END CONVERSATION>\n\n";
    private const string AssessmentStart = "Provide your safety assessment for ONLY THE LAST ";
    private const string AssessmentEnd =
        " message in the above conversation:\n - First line must read 'safe' or 'unsafe'.\n"
        + " - If unsafe, a second line must include a comma-separated list of violated categories."
        + "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";

    /// <summary>
    /// Builds the prompt. <paramref name="categories"/> are the ones to send, in order, with their own codes
    /// (leave out the ones a policy turns off; never renumber).
    /// </summary>
    /// <exception cref="ArgumentException">Lists every problem <see cref="Validate"/> finds.</exception>
    public static LlamaGuardPrompt Build(Conversation conversation, CheckDirection direction, IReadOnlyList<HazardCategory> categories)
    {
        var errors = Validate(conversation, direction, categories);
        if (errors.Count > 0)
        {
            throw new ArgumentException("Cannot build a Llama Guard prompt: " + string.Join(" ", errors), nameof(conversation));
        }

        var turns = conversation.Turns
            .Select(static turn => new LlamaGuardPromptTurn(
                turn.Role,
                new PromptSegment(PromptSegmentKind.Scaffold, turn.Role.Label() + ":"),
                new PromptSegment(PromptSegmentKind.Content, " " + PromptContentSanitizer.Sanitize(turn.Text) + "\n\n")))
            .ToArray();
        return new LlamaGuardPrompt(
            direction,
            new PromptSegment(PromptSegmentKind.Scaffold, BuildPrefix(direction, categories)),
            turns,
            new PromptSegment(PromptSegmentKind.Scaffold, ConversationEnd + AssessmentStart + direction.RoleLabel() + AssessmentEnd));
    }

    /// <summary>Builds the prompt for a classifier request.</summary>
    /// <exception cref="ArgumentException">Lists every problem <see cref="Validate"/> finds.</exception>
    public static LlamaGuardPrompt Build(GuardRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Build(request.Conversation, request.Direction, request.Categories);
    }

    /// <summary>
    /// The cacheable prefix alone, from <c>&lt;|begin_of_text|&gt;</c> to <c>&lt;BEGIN CONVERSATION&gt;\n\n</c>
    /// (equal to <see cref="LlamaGuardPrompt.Prefix"/> of every prompt built with the same arguments).
    /// </summary>
    /// <exception cref="ArgumentException">The categories are empty, repeat a code or hold text that cannot go into the scaffold.</exception>
    public static string BuildPrefix(CheckDirection direction, IReadOnlyList<HazardCategory> categories)
    {
        var errors = ValidateCategories(categories);
        if (errors.Count > 0)
        {
            throw new ArgumentException("Cannot build a Llama Guard prompt: " + string.Join(" ", errors), nameof(categories));
        }

        var builder = new StringBuilder(Header)
            .Append(TaskLineStart).Append(direction.RoleLabel()).Append(TaskLineEnd)
            .Append(CategoriesStart);
        foreach (var category in categories)
        {
            builder.Append(category.PromptLine).Append('\n');
        }

        return builder.Append(CategoriesEnd).Append(ConversationStart).ToString();
    }

    /// <summary>Every reason the arguments cannot make a prompt; empty when they can.</summary>
    public static IReadOnlyList<string> Validate(Conversation conversation, CheckDirection direction, IReadOnlyList<HazardCategory> categories)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        var errors = new List<string>(conversation.Validate(direction));
        errors.AddRange(ValidateCategories(categories));
        return errors;
    }

    private static List<string> ValidateCategories(IReadOnlyList<HazardCategory> categories)
    {
        ArgumentNullException.ThrowIfNull(categories);
        var errors = new List<string>();
        if (categories.Count == 0)
        {
            errors.Add("At least one category must be sent to the model.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var category in categories)
        {
            ArgumentNullException.ThrowIfNull(category, nameof(categories));
            if (!seen.Add(category.Code))
            {
                errors.Add($"Category {category.Code} is listed twice.");
            }

            errors.AddRange(category.FindProblems().Select(static problem => $"Category problem: {problem}."));
        }

        return errors;
    }
}
