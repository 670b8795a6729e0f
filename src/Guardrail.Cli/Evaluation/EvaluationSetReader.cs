using System.Globalization;
using System.Text;
using System.Text.Json;
using CsvHelper;
using Guardrail.Auditing;
using Guardrail.Conversations;
using Guardrail.Diagnostics;
using Guardrail.OpenAI;
using Guardrail.Taxonomy;

namespace Guardrail.Cli.Evaluation;

/// <summary>
/// Reads an evaluation set: JSON Lines (what <c>guardrail audit export --format eval</c> writes, or hand-written
/// lines) or CSV, chosen by the file's extension (<c>.csv</c> is CSV, anything else JSON Lines). Every problem is
/// collected with its line before the set is rejected (docs/evaluation.md describes both formats).
/// </summary>
internal static class EvaluationSetReader
{
    /// <summary>Problems reported before the reader stops looking: a wrong file should not print a million lines.</summary>
    private const int MaxProblems = 50;

    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowDuplicateProperties = false };

    /// <summary>Reads every item of <paramref name="path"/>.</summary>
    /// <exception cref="FileValidationException">The set is malformed; every problem with file and line.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static IReadOnlyList<EvaluationItem> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var problems = new List<FileDiagnostic>();
        var items = string.Equals(Path.GetExtension(path), ".csv", StringComparison.OrdinalIgnoreCase)
            ? ReadCsv(path, problems)
            : ReadJsonLines(path, problems);

        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (!seen.TryAdd(item.Id, item.Line))
            {
                problems.Add(new FileDiagnostic(path, item.Line, 1, $"id '{item.Id}' is used twice (first on line {seen[item.Id]}); ids must be unique to compare runs."));
            }
        }

        if (problems.Count == 0 && items.Count == 0)
        {
            problems.Add(new FileDiagnostic(path, 0, 0, "The set holds no items."));
        }

        if (problems.Count > 0)
        {
            throw new FileValidationException("The evaluation set is not valid", [.. problems.OrderBy(p => p.Line).Take(MaxProblems)]);
        }

        return items;
    }

    private static List<EvaluationItem> ReadJsonLines(string path, List<FileDiagnostic> problems)
    {
        var items = new List<EvaluationItem>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path, Encoding.UTF8))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            if (problems.Count >= MaxProblems)
            {
                break;
            }

            var problem = (string message, int column) => problems.Add(new FileDiagnostic(path, lineNumber, column, message));
            try
            {
                using var document = JsonDocument.Parse(line, DocumentOptions);
                if (ReadJsonItem(document.RootElement, lineNumber, message => problem(message, 1)) is { } item)
                {
                    items.Add(item);
                }
            }
            catch (JsonException e)
            {
                problem($"not a JSON object: {e.Message}", (int)(e.BytePositionInLine ?? 0) + 1);
            }
        }

        return items;
    }

    private static EvaluationItem? ReadJsonItem(JsonElement root, int line, Action<string> problem)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            problem("each line must be a JSON object.");
            return null;
        }

        var failed = false;
        void Fail(string message)
        {
            failed = true;
            problem(message);
        }

        var id = OptionalString(root, "id", Fail) ?? string.Create(CultureInfo.InvariantCulture, $"line {line}");
        var direction = OptionalString(root, "direction", Fail);

        var sources = new[] { "text", "messages", "conversation" }.Where(name => root.TryGetProperty(name, out _)).ToList();
        Conversation? conversation = null;
        if (sources.Count != 1)
        {
            Fail(sources.Count == 0
                ? "the item has no content: give one of 'text' (a user message), 'messages' (OpenAI chat messages) or 'conversation' (the audit's review text)."
                : $"the item has {string.Join(" and ", sources.Select(s => $"'{s}'"))}; give exactly one.");
        }
        else
        {
            var source = root.GetProperty(sources[0]);
            conversation = sources[0] switch
            {
                "messages" => ReadMessages(source, Fail),
                _ when source.ValueKind == JsonValueKind.String => string.Equals(sources[0], "text", StringComparison.Ordinal)
                    ? new ConversationBuilder().AddUser(source.GetString()!).Build()
                    : ReviewTextParser.Parse(source.GetString()!),
                _ => Failed(Fail, $"'{sources[0]}' must be a string."),
            };
        }

        string? verdict = null;
        IReadOnlyList<string>? categories = null;
        if (!root.TryGetProperty("expected", out var expected))
        {
            Fail("'expected' is missing: \"safe\", \"unsafe\", or {\"verdict\": ..., \"categories\": [...]}.");
        }
        else if (expected.ValueKind == JsonValueKind.String)
        {
            verdict = expected.GetString();
            categories = ReadCodes(root, "categories", Fail);
        }
        else if (expected.ValueKind == JsonValueKind.Object)
        {
            verdict = OptionalString(expected, "verdict", Fail);
            categories = ReadCodes(expected, "categories", Fail);
        }
        else
        {
            Fail("'expected' must be \"safe\", \"unsafe\" or an object with 'verdict' and 'categories'.");
        }

        var item = Build(id, line, direction, conversation, verdict, categories ?? [], Fail);
        return failed ? null : item;
    }

    private static List<EvaluationItem> ReadCsv(string path, List<FileDiagnostic> problems)
    {
        var items = new List<EvaluationItem>();
        var options = new CsvReaderOptions
        {
            Separator = ',',
            TrackLineNumbers = true,
            MalformedData = CsvMalformedDataHandling.Skip,
            OnMalformedRecord = record => problems.Add(new FileDiagnostic(path, (int)record.LineNumber, 1, $"malformed CSV record: {record.Reason}.")),
        };
        using var csv = CsvReader.FromFile(path, options);
        csv.ReadHeader();
        var header = csv.Headers.ToArray();
        string[] known = ["id", "direction", "prompt", "response", "expected", "categories"];
        foreach (var unknown in header.Where(h => !known.Contains(h, StringComparer.Ordinal)))
        {
            problems.Add(new FileDiagnostic(path, 1, 1, $"unknown column '{unknown}'; the columns are {string.Join(", ", known)}."));
        }

        foreach (var required in new[] { "prompt", "expected" }.Where(r => !header.Contains(r, StringComparer.Ordinal)))
        {
            problems.Add(new FileDiagnostic(path, 1, 1, $"the header has no '{required}' column (the columns are {string.Join(", ", known)})."));
        }

        if (problems.Count > 0)
        {
            return items;
        }

        var columns = known.ToDictionary(name => name, name => Array.IndexOf(header, name), StringComparer.Ordinal);
        while (problems.Count < MaxProblems && csv.Read())
        {
            var line = (int)csv.LineNumber;
            string? Field(string name) => columns[name] is >= 0 and var index && index < csv.FieldCount ? csv.GetString(index) : null;
            var failed = false;
            void Fail(string message)
            {
                failed = true;
                problems.Add(new FileDiagnostic(path, line, 1, message));
            }

            var builder = new ConversationBuilder().AddUser(Field("prompt") ?? string.Empty);
            if (Field("response") is { Length: > 0 } response)
            {
                builder.AddAssistant(response);
            }

            var codes = (Field("categories") ?? string.Empty)
                .Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var id = Field("id") is { Length: > 0 } given ? given : string.Create(CultureInfo.InvariantCulture, $"line {line}");
            var direction = Field("direction") is { Length: > 0 } d ? d : null;
            var item = Build(id, line, direction, builder.Build(), Field("expected"), ValidateCodes(codes, "categories", Fail), Fail);
            if (!failed && item is not null)
            {
                items.Add(item);
            }
        }

        return items;
    }

    /// <summary>The item, once every field is known to be valid; null after reporting what is not.</summary>
    private static EvaluationItem? Build(string id, int line, string? directionText, Conversation? conversation, string? verdict, IReadOnlyList<string> categories, Action<string> fail)
    {
        CheckDirection direction = default;
        if (directionText is not null && !AuditNames.TryParseDirection(directionText, out direction))
        {
            fail($"direction '{directionText}' is not prompt or response.");
            return null;
        }

        bool expectedUnsafe;
        switch (verdict)
        {
            case "safe":
                expectedUnsafe = false;
                if (categories.Count > 0)
                {
                    fail($"a safe item names categories ({string.Join(", ", categories)}); name them only for unsafe items.");
                    return null;
                }

                break;
            case "unsafe":
                expectedUnsafe = true;
                break;
            default:
                fail(verdict is null ? "the expected verdict is missing (safe or unsafe)." : $"the expected verdict '{verdict}' is not safe or unsafe.");
                return null;
        }

        if (conversation is null)
        {
            return null;
        }

        if (directionText is null)
        {
            // Unsaid: the last turn decides whose text is judged.
            direction = conversation.Turns.Count > 0 && conversation.Turns[^1].Role == ConversationRole.Assistant
                ? CheckDirection.Response
                : CheckDirection.Prompt;
        }

        var errors = conversation.Validate(direction);
        if (errors.Count > 0)
        {
            fail(string.Join(" ", errors));
            return null;
        }

        return new EvaluationItem(id, line, direction, conversation, expectedUnsafe, categories);
    }

    private static Conversation? ReadMessages(JsonElement messages, Action<string> fail)
    {
        // The gateway's own parser reads the messages, so an item means what the same request would mean.
        var body = new MemoryStream();
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteString("model", "guardrail-eval");
            json.WritePropertyName("messages");
            messages.WriteTo(json);
            json.WriteEndObject();
        }

        var parsed = OpenAIRequestParser.Parse(body.ToArray(), OpenAIApi.ChatCompletions);
        if (parsed.Error is { } error)
        {
            fail($"'messages' is not a list of OpenAI chat messages: {error.Message}");
            return null;
        }

        return parsed.Request!.Conversations[0];
    }

    private static IReadOnlyList<string>? ReadCodes(JsonElement parent, string name, Action<string> fail)
    {
        if (!parent.TryGetProperty(name, out var array) || array.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (array.ValueKind != JsonValueKind.Array || array.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
        {
            fail($"'{name}' must be an array of category codes such as [\"S1\", \"S10\"].");
            return null;
        }

        return ValidateCodes([.. array.EnumerateArray().Select(e => e.GetString()!)], name, fail);
    }

    private static IReadOnlyList<string> ValidateCodes(IReadOnlyList<string> codes, string name, Action<string> fail)
    {
        var valid = new List<string>();
        foreach (var code in codes)
        {
            if (HazardCategory.ParseNumber(code) is null)
            {
                fail($"'{code}' in '{name}' is not a category code (S1, S2, ...).");
            }
            else
            {
                valid.Add(code);
            }
        }

        return [.. valid.Distinct(StringComparer.Ordinal).OrderBy(c => HazardCategory.ParseNumber(c))];
    }

    private static string? OptionalString(JsonElement parent, string name, Action<string> fail)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            fail($"'{name}' must be a string.");
            return null;
        }

        return value.GetString();
    }

    private static Conversation? Failed(Action<string> fail, string message)
    {
        fail(message);
        return null;
    }
}
