using System.Buffers;
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

        // The hashed bytes are laid out in one buffer and hashed in one call: an incremental hash crossed into the
        // crypto library twice per field, which cost more than the rest of a cached check.
        var directionName = direction == CheckDirection.Prompt ? "prompt" : "response";
        var length = 4 + Sized(directionName) + Sized(classifierModel) + 4;
        foreach (var category in categories)
        {
            length += Sized(category.Code) + 4 + PromptLineByteCount(category);
        }

        length += 4;
        foreach (var turn in conversation.Turns)
        {
            length += 4 + Sized(turn.Text);
        }

        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var writer = new KeyWriter(rented);
            writer.Int(FormatVersion);
            writer.String(directionName);
            writer.String(classifierModel);
            writer.Int(categories.Count);
            foreach (var category in categories)
            {
                writer.String(category.Code);
                writer.PromptLine(category, PromptLineByteCount(category));
            }

            writer.Int(conversation.Turns.Count);
            foreach (var turn in conversation.Turns)
            {
                writer.Int((int)turn.Role);
                writer.String(turn.Text);
            }

            Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(rented.AsSpan(0, writer.Written), digest);
            return new VerdictCacheKey(Prefix + Convert.ToHexStringLower(digest));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <inheritdoc />
    public override string ToString() => Value ?? string.Empty;

    private static readonly string Prefix = "verdict:v" + FormatVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":";

    private static int Sized(string value) => 4 + Encoding.UTF8.GetByteCount(value);

    // The bytes of HazardCategory.PromptLine, counted and written without building the line.
    private static int PromptLineByteCount(HazardCategory category) =>
        Encoding.UTF8.GetByteCount(category.Code) + 2 + Encoding.UTF8.GetByteCount(category.Name) + 1
        + (Described(category) is { } description ? 1 + Encoding.UTF8.GetByteCount(description) : 0);

    private static string? Described(HazardCategory category) =>
        category.DescribeInPrompt && !string.IsNullOrWhiteSpace(category.Description) ? category.Description.Trim() : null;

    /// <summary>Writes the hashed layout: little-endian 32-bit integers, and strings as their UTF-8 length then bytes.</summary>
    private ref struct KeyWriter(byte[] buffer)
    {
        private readonly Span<byte> _buffer = buffer;

        public int Written { get; private set; }

        public void Int(int value)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_buffer[Written..], value);
            Written += 4;
        }

        public void String(string value)
        {
            var count = Encoding.UTF8.GetBytes(value, _buffer[(Written + 4)..]);
            Int(count);
            Written += count;
        }

        public void PromptLine(HazardCategory category, int byteCount)
        {
            Int(byteCount);
            Raw(category.Code);
            Raw(": ");
            Raw(category.Name);
            Raw(".");
            if (Described(category) is { } description)
            {
                Raw(" ");
                Raw(description);
            }
        }

        private void Raw(string value) => Written += Encoding.UTF8.GetBytes(value, _buffer[Written..]);
    }
}
