using System.Globalization;
using System.Text.Json;

namespace Guardrail.OpenAI;

/// <summary>
/// How request errors name JSON values and places (<c>expected a string, but got a number</c>, <c>messages[2]</c>), so
/// that the gateway's parser and the generation server's say the same thing the same way.
/// </summary>
public static class JsonValueDescriptions
{
    public static string Describe(JsonElement value) => Describe(value.ValueKind);

    public static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    /// <summary>The parameter path of an array element: <c>messages[2]</c>.</summary>
    public static string Index(string path, int index) => string.Create(CultureInfo.InvariantCulture, $"{path}[{index}]");
}
