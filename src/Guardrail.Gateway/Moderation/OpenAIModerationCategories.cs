namespace Guardrail.Gateway.Moderation;

/// <summary>
/// How Llama Guard 3's hazard codes read in OpenAI's moderation categories. The mapping is many-to-many and partial:
/// OpenAI has no category for specialized advice, privacy, intellectual property or elections (S6, S7, S8, S13), so
/// those show only in the <c>guardrail</c> object; custom codes (S15 and up) likewise.
/// </summary>
internal static class OpenAIModerationCategories
{
    public static readonly IReadOnlyList<string> All =
    [
        "harassment", "harassment/threatening", "hate", "hate/threatening", "illicit", "illicit/violent",
        "self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "sexual/minors", "violence", "violence/graphic",
    ];

    private static readonly Dictionary<string, string[]> ByCode = new(StringComparer.Ordinal)
    {
        ["S1"] = ["violence", "illicit/violent"],
        ["S2"] = ["illicit"],
        ["S3"] = ["sexual"],
        ["S4"] = ["sexual/minors"],
        ["S5"] = ["harassment"],
        ["S9"] = ["violence", "illicit/violent"],
        ["S10"] = ["hate"],
        ["S11"] = ["self-harm"],
        ["S12"] = ["sexual"],
        ["S14"] = ["illicit"],
    };

    public static IEnumerable<string> For(string code) => ByCode.TryGetValue(code, out var names) ? names : [];
}
