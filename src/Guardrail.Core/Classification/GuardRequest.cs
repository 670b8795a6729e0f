using Guardrail.Conversations;
using Guardrail.Taxonomy;

namespace Guardrail.Classification;

/// <summary>One thing to classify: a conversation, the side to judge, and the categories to send.</summary>
public sealed record GuardRequest
{
    /// <summary>The conversation; its last turn must belong to the judged side.</summary>
    public required Conversation Conversation { get; init; }

    /// <summary>Prompt check (last turn the user's) or response check (last turn the assistant's).</summary>
    public required CheckDirection Direction { get; init; }

    /// <summary>
    /// Categories to send, in prompt order, with their own codes: the policy's effective set for the loaded model
    /// (<c>off</c> ones and those the model was not trained on left out, see <see cref="Policies.Policy.PromptCategoriesFor"/>).
    /// The prompt lists exactly these, and the verdict cache key hashes exactly these.
    /// </summary>
    public required IReadOnlyList<HazardCategory> Categories { get; init; }

    /// <summary>
    /// Who the check is for, so that a classifier shares its queue fairly between tenants (the in-process engine
    /// drains one queue per tenant in turn); null for a caller without tenants (the CLI), which shares one queue.
    /// </summary>
    public string? Tenant { get; init; }

    /// <summary>An id to correlate logs and the audit record; optional.</summary>
    public string? RequestId { get; init; }
}
