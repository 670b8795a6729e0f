using System.Text.Json;
using System.Text.Json.Nodes;

namespace Guardrail.Gateway.Tests.Admin;

/// <summary>
/// Holds a JSON value to the subset of JSON Schema the admin API's document uses (<c>$ref</c> to its components,
/// <c>type</c> with null, <c>enum</c>, <c>pattern</c>, <c>properties</c> with <c>required</c> and
/// <c>additionalProperties</c>, <c>items</c>), collecting every mismatch with its JSON path.
/// </summary>
internal static class SchemaCheck
{
    public static void Check(JsonNode document, JsonNode schema, JsonNode? value, string at, List<string> problems)
    {
        if ((string?)schema["$ref"] is { } reference)
        {
            schema = document["components"]!["schemas"]![reference.Split('/')[^1]]!;
        }

        var kind = value?.GetValueKind() ?? JsonValueKind.Null;
        var types = schema["type"] switch
        {
            JsonArray list => list.Select(t => (string)t!).ToList(),
            JsonValue single => [(string)single!],
            _ => [],
        };
        if (types.Count > 0 && !types.Any(t => Fits(t, kind, value)))
        {
            problems.Add($"{at}: {kind} is not {string.Join(" or ", types)}");
            return;
        }

        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, value)))
        {
            problems.Add($"{at}: {value?.ToJsonString() ?? "null"} is not one of {allowed.ToJsonString()}");
        }

        if ((string?)schema["pattern"] is { } pattern && kind == JsonValueKind.String && !System.Text.RegularExpressions.Regex.IsMatch((string)value!, pattern, System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(10)))
        {
            problems.Add($"{at}: '{value}' does not match {pattern}");
        }

        if (kind == JsonValueKind.Object)
        {
            var properties = schema["properties"]?.AsObject();
            var additional = schema["additionalProperties"];
            foreach (var (name, child) in value!.AsObject())
            {
                if (properties?[name] is { } property)
                {
                    Check(document, property, child, $"{at}.{name}", problems);
                }
                else if (additional is JsonObject extra)
                {
                    Check(document, extra, child, $"{at}.{name}", problems);
                }
                else if (additional is JsonValue closed && !(bool)closed)
                {
                    problems.Add($"{at}.{name}: not in the schema");
                }
            }

            foreach (var required in schema["required"]?.AsArray() ?? [])
            {
                if (!value.AsObject().ContainsKey((string)required!))
                {
                    problems.Add($"{at}.{required}: required but missing");
                }
            }
        }

        if (kind == JsonValueKind.Array && schema["items"] is { } items)
        {
            var index = 0;
            foreach (var item in value!.AsArray())
            {
                Check(document, items, item, $"{at}[{index++}]", problems);
            }
        }
    }

    private static bool Fits(string type, JsonValueKind kind, JsonNode? value) => type switch
    {
        "null" => kind == JsonValueKind.Null,
        "string" => kind == JsonValueKind.String,
        "boolean" => kind is JsonValueKind.True or JsonValueKind.False,
        "number" => kind == JsonValueKind.Number,
        "integer" => kind == JsonValueKind.Number && value!.AsValue().TryGetValue<long>(out _),
        "object" => kind == JsonValueKind.Object,
        "array" => kind == JsonValueKind.Array,
        _ => false,
    };
}
