namespace Guardrail.Policies;

/// <summary>How much of the moderated content a decision's audit record keeps.</summary>
public enum ContentRetention
{
    /// <summary>Use the audit store's configured mode.</summary>
    Inherit,

    /// <summary>The content as received.</summary>
    Full,

    /// <summary>The content with personal data patterns replaced.</summary>
    Redacted,

    /// <summary>A hash of the content only, enough to find repeats.</summary>
    Hash,

    /// <summary>No content at all.</summary>
    None,
}
