using System.Security.Cryptography;
using System.Text;
using Guardrail.Auditing;

namespace Guardrail.Audit.Retention;

/// <summary>Reduces a record's content to what its retention mode keeps, and computes the content hash.</summary>
/// <remarks>Runs on the producer's thread, before the record is queued: redaction is CPU work that would
/// otherwise serialise behind the single writer, and content the store must not keep never sits in the queue.</remarks>
internal static class ContentRetentionApplier
{
    public static AuditRecord Apply(AuditRecord record, ContentRetention defaultMode)
    {
        var mode = record.ContentRetention ?? defaultMode;
        var content = record.Content ?? "";
        var kept = mode switch
        {
            ContentRetention.Full => record.Content,
            ContentRetention.Redacted => record.Content is null ? null : ContentRedactor.Redact(record.Content),
            ContentRetention.Hash or ContentRetention.None => null,
            _ => throw new ArgumentOutOfRangeException(nameof(defaultMode), mode, "Unknown content retention mode."),
        };

        return record with
        {
            // Copies: the record is written later on the writer's thread, and the caller's lists may change by then.
            Categories = [.. record.Categories],
            LabelCategories = [.. record.LabelCategories],
            Content = kept,
            ContentRetention = mode,
            ContentHash = Hash(content),
        };
    }

    public static string Hash(string content) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));
}
