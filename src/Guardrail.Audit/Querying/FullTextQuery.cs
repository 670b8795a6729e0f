using System.Text;

namespace Guardrail.Audit.Querying;

/// <summary>Turns a reviewer's search text into an FTS5 MATCH expression that cannot be anything but literal.</summary>
/// <remarks>
/// Each whitespace-separated word becomes an FTS5 string (double-quoted, inner quotes doubled), and the strings are
/// joined by spaces, which FTS5 reads as AND. So <c>NEAR</c>, <c>OR</c>, <c>*</c>, <c>^</c>, column filters and
/// stray quotes are searched for as text instead of changing the query or making it fail to parse.
/// </remarks>
internal static class FullTextQuery
{
    /// <summary>The MATCH expression, or null when the text holds no words.</summary>
    public static string? Build(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var builder = new StringBuilder();
        foreach (var word in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            if (builder.Length > 0)
            {
                builder.Append(' ');
            }

            builder.Append('"').Append(word.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
        }

        return builder.ToString();
    }
}
