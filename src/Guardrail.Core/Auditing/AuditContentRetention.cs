namespace Guardrail.Auditing;

/// <summary>How much of the conversation text an audit record keeps. The content hash is kept in every mode.</summary>
public enum AuditContentRetention
{
    /// <summary>The text as given.</summary>
    Full,

    /// <summary>The text with e-mail addresses, phone numbers, payment card numbers, API keys, bearer tokens and
    /// long secrets replaced by placeholders.</summary>
    Redacted,

    /// <summary>No text; only the SHA-256 hash of it.</summary>
    Hash,

    /// <summary>No text. The hash is still kept so that identical conversations can be grouped.</summary>
    None,
}
