using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Guardrail.Conversations;
using Guardrail.Taxonomy;

namespace Guardrail.Caching;

/// <summary>
/// The key of one cached verdict: a SHA-256 over everything the classifier's answer depends on. Keys never carry
/// content, so a key seen in Redis or a log reveals nothing about the conversation.
/// </summary>
/// <remarks>
/// Hashed, in order: the key format version, the direction, the classifier model identity, the categories as
/// written into the prompt (the effective set: the policy's categories that the loaded model knows; code and prompt
/// line, so a policy edit or a model switch that changes what the model sees changes the key, while policies that
/// send the same categories share verdicts), and the turns (role and exact text). Every
/// variable-length field is length-prefixed, so no two different inputs hash the same bytes. System messages are
/// left out because Llama Guard never sees them.
/// </remarks>
public readonly record struct VerdictCacheKey
{
    /// <summary>The version of the hashed layout; bump it when the layout changes so old keys are never looked up.</summary>
    public const int FormatVersion = 1;

    private VerdictCacheKey(string value) => Value = value;

    /// <summary>The key as stored: <c>verdict:v1:</c> followed by 64 lower-case hex digits.</summary>
    public string Value { get; }

    /// <summary>Derives the key for classifying <paramref name="conversation"/>.</summary>
    /// <param name="conversation">The conversation as sent to the classifier.</param>
    /// <param name="direction">Prompt or response check.</param>
    /// <param name="categories">The categories sent in the prompt, in prompt order: the effective set (<see cref="Policies.Policy.PromptCategoriesFor"/>), never the policy's whole list.</param>
    /// <param name="classifierModel">Identifies the model (and settings that change its answers).</param>
    public static VerdictCacheKey Create(Conversation conversation, CheckDirection direction, IReadOnlyList<HazardCategory> categories, string classifierModel)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(classifierModel);

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendInt(hash, FormatVersion);
        AppendString(hash, direction == CheckDirection.Prompt ? "prompt" : "response");
        AppendString(hash, classifierModel);
        AppendInt(hash, categories.Count);
        foreach (var category in categories)
        {
            AppendString(hash, category.Code);
            AppendString(hash, category.PromptLine);
        }

        AppendInt(hash, conversation.Turns.Count);
        foreach (var turn in conversation.Turns)
        {
            AppendInt(hash, (int)turn.Role);
            AppendString(hash, turn.Text);
        }

        return new VerdictCacheKey("verdict:v" + FormatVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <inheritdoc />
    public override string ToString() => Value ?? string.Empty;

    private static void AppendInt(IncrementalHash hash, int value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        hash.AppendData(bytes);
    }

    private static void AppendString(IncrementalHash hash, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        AppendInt(hash, bytes.Length);
        hash.AppendData(bytes);
    }
}
