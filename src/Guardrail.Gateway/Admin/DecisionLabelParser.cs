using System.Text.Json;
using Guardrail.Audit.Labelling;
using Guardrail.Auditing;

namespace Guardrail.Gateway.Admin;

/// <summary>
/// Reads the body of <c>POST /admin/v1/decisions/{id}/label</c>:
/// <c>{"label":"false_positive|false_negative|confirmed","reviewer":"...","note":"...","categories":["S1"]}</c>.
/// Every problem is collected with the field at fault; the store's own rules (<see cref="AuditLabelRequest.Validate"/>)
/// run last so that the API and the CLI accept the same labels.
/// </summary>
internal static class DecisionLabelParser
{
    /// <summary>A label body is a few short strings; anything near this size is not one.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    private static readonly string[] Fields = ["label", "reviewer", "note", "categories"];

    public static async Task<ParsedLabel> ParseAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength is > MaxBodyBytes)
        {
            return Fail("body", $"The body is larger than {MaxBodyBytes} bytes.");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return Fail("body", $"The body is larger than {MaxBodyBytes} bytes.");
            }

            buffer.Write(chunk, 0, read);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
        }
        catch (JsonException)
        {
            return Fail("body", "The body is not JSON. " + Shape);
        }

        using (document)
        {
            return Parse(document.RootElement);
        }
    }

    private const string Shape =
        "Send {\"label\": \"false_positive|false_negative|confirmed\", \"reviewer\": \"name\", \"note\": \"optional text\", \"categories\": [\"S1\"] (false_negative only)}.";

    private static ParsedLabel Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return Fail("body", "The body must be a JSON object. " + Shape);
        }

        var problems = new List<(string Param, string Message)>();
        foreach (var property in root.EnumerateObject())
        {
            if (!Fields.Contains(property.Name, StringComparer.Ordinal))
            {
                problems.Add((property.Name, $"Unknown field '{property.Name}'; the fields are {string.Join(", ", Fields)}."));
            }
        }

        AuditLabel? label = null;
        if (String("label", required: true) is { } labelText)
        {
            if (AuditNames.TryParseLabel(labelText, out var parsed))
            {
                label = parsed;
            }
            else
            {
                problems.Add(("label", $"label is '{labelText}': use false_positive, false_negative or confirmed."));
            }
        }

        var reviewer = String("reviewer", required: true);
        var note = String("note", required: false);
        var categories = new List<string>();
        if (root.TryGetProperty("categories", out var list) && list.ValueKind != JsonValueKind.Null)
        {
            if (list.ValueKind != JsonValueKind.Array)
            {
                problems.Add(("categories", "categories must be an array of category codes such as [\"S1\"]."));
            }
            else
            {
                foreach (var item in list.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.String)
                    {
                        categories.Add(item.GetString()!.Trim().ToUpperInvariant());
                    }
                    else
                    {
                        problems.Add(("categories", "categories must hold strings such as \"S1\"."));
                        break;
                    }
                }
            }
        }

        if (problems.Count > 0 || label is null || reviewer is null)
        {
            return new ParsedLabel(null, AdminErrorResult.Invalid(problems));
        }

        var request = new AuditLabelRequest
        {
            Label = label.Value,
            Reviewer = reviewer,
            Note = string.IsNullOrWhiteSpace(note) ? null : note,
            Categories = categories,
        };
        var errors = request.Validate();
        return errors.Count > 0
            ? new ParsedLabel(null, AdminErrorResult.Invalid([.. errors.Select(e => (FieldOf(e), e))]))
            : new ParsedLabel(request, null);

        string? String(string name, bool required)
        {
            if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                if (required)
                {
                    problems.Add((name, $"{name} is required."));
                }

                return null;
            }

            if (value.ValueKind != JsonValueKind.String)
            {
                problems.Add((name, $"{name} must be a string."));
                return null;
            }

            return value.GetString();
        }
    }

    /// <summary>The field a store validation message is about: each message starts with the field's name.</summary>
    private static string FieldOf(string message)
    {
        foreach (var field in Fields)
        {
            if (message.StartsWith(field, StringComparison.Ordinal))
            {
                return field;
            }
        }

        return message.StartsWith("categor", StringComparison.Ordinal) || message.Contains("categories", StringComparison.Ordinal) ? "categories" : "body";
    }

    private static ParsedLabel Fail(string param, string message) =>
        new(null, new AdminErrorResult(StatusCodes.Status400BadRequest, message, "invalid_parameter", param));
}

/// <summary>A label request, or the error that explains why there is none.</summary>
internal sealed record ParsedLabel(AuditLabelRequest? Request, AdminErrorResult? Error);
