namespace Guardrail.Auditing;

/// <summary>
/// How much of the moderated conversation an audit record keeps: configured for the store
/// (<c>Guardrail:Audit:ContentRetention</c>) and optionally overridden per policy (<c>content_retention</c>; a policy
/// that sets none inherits the store's). The content hash is kept in every mode.
/// </summary>
public enum ContentRetention
{
    /// <summary>The text as given.</summary>
    Full,

    /// <summary>The text with e-mail addresses, phone numbers, payment card numbers, API keys, bearer tokens and
    /// long secrets replaced by placeholders.</summary>
    Redacted,

    /// <summary>No text; only the SHA-256 hash of it, enough to find repeats.</summary>
    Hash,

    /// <summary>No text. The hash is still kept so that identical conversations can be grouped.</summary>
    None,
}
