using System.Text.Json.Nodes;
using Guardrail.Audit.AdminActions;
using Guardrail.Audit.Querying;
using Guardrail.Auditing;
using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.Policies;
using Microsoft.OpenApi;

namespace Guardrail.Gateway.Admin.OpenApi;

/// <summary>
/// The query parameters of the admin API as the OpenAPI document declares them. The handlers read the query string
/// through <see cref="AuditQueryParser"/> (shared with the CLI, refusing unknown and repeated names), so the names
/// come from the parser itself (<see cref="AuditQueryParser.ParameterNames"/>) and an operation declares exactly the
/// names its parser accepts; this type adds each one's type, allowed values and description. Allowed values of the
/// audit enums come from <see cref="AuditNames"/>, the same wire names the parser accepts.
/// </summary>
internal static class AdminQueryParameters
{
    /// <summary>The parameters of a listing, a count or an export, in the parser's order; an export adds <c>format</c>.</summary>
    public static IEnumerable<OpenApiParameter> For(AuditQueryUse use)
    {
        foreach (var name in AuditQueryParser.ParameterNames(use, AuditQueryNaming.QueryString))
        {
            yield return Describe(name, use);
        }

        if (use == AuditQueryUse.Export)
        {
            yield return Parameter("format", "The file format: JSON Lines of decision records (`jsonl`, also written `json`), CSV with a header row, or an evaluation set (`eval`: JSON Lines of labelled examples). Default `jsonl`.", Choice(["jsonl", "csv", "eval"], "jsonl"));
        }
    }

    /// <summary>The parameters of <c>GET /admin/v1/actions</c> (read by <see cref="AdminActionTrail.ListAsync"/>).</summary>
    public static IEnumerable<OpenApiParameter> ForActions() =>
    [
        Parameter("key_id", "Only the actions of the admin key with this id.", new OpenApiSchema { Type = JsonSchemaType.String, Examples = ["reviewer-1"] }),
        Parameter("before", "Keyset cursor: actions before this sequence number, the `next_cursor` of the previous page.", Integer(0, null, example: 100)),
        Parameter("limit", $"Page size, 1 to {AdminActionPage.MaxLimit}. Default 50.", Integer(1, AdminActionPage.MaxLimit, example: 50, defaultValue: 50)),
    ];

    private static OpenApiParameter Describe(string name, AuditQueryUse use) => name switch
    {
        "since" => Parameter(name, "Decisions at or after this time: an ISO 8601 time (UTC when it has no offset) or an age counted back from now, digits and `s`, `m`, `h` or `d` (`15m`, `2h`, `7d`).", Text("7d")),
        "until" => Parameter(name, "Decisions before this time (exclusive), in the same forms as `since`; `since` must be before it.", Text("2100-01-01T00:00:00Z")),
        "tenant" => Parameter(name, "Decisions of this tenant. A key limited to tenants sees its own tenants only, whatever this says.", Text("default")),
        "key_id" => Parameter(name, "Decisions made for the gateway key with this id.", Text("client-1")),
        "route" => Parameter(name, "Decisions on this route id.", Text("chat")),
        "model" => Parameter(name, "Decisions for requests naming this model, as the request gave it.", Text("llama-3-8b")),
        "direction" => Parameter(name, "Decisions on prompts or on responses.", Choice(Wire<CheckDirection>(AuditNames.ToWire))),
        "action" => Parameter(name, "Decisions with this action.", Choice(Wire<ModerationAction>(AuditNames.ToWire))),
        "verdict" => Parameter(name, "Decisions with this classifier verdict (`not_checked`: refused before any check).", Choice(Wire<GuardOutcome>(AuditNames.ToWire))),
        "category" => Parameter(name, $"Decisions that named this category code: letters and digits, up to {AuditQueryParser.MaxCategoryLength}, case-insensitive (`s1` is `S1`).", Pattern($"^[A-Za-z0-9]{{1,{AuditQueryParser.MaxCategoryLength}}}$", "S1")),
        "policy" => Parameter(name, "Decisions made under this policy id.", Text("default")),
        "trace_id" => Parameter(name, "The decisions of one request's W3C trace: its 32 hexadecimal digits (any case, not all zero).", Pattern("^[0-9A-Fa-f]{32}$", "4bf92f3577b34da6a3ce929d0e0e4736")),
        "classifier_endpoint" => Parameter(name, "Decisions answered by this remote classifier endpoint, its URL as configured.", Text("http://classifier:8080")),
        "refusal" => Parameter(name, "Requests refused before any check, by reason (such as `rate_limit:requests`, `rate_limit:tokens`, `rate_limit:concurrency`).", Text("rate_limit:requests")),
        "label" => Parameter(name, "Decisions with this reviewer label, or `none` (also written `unlabelled`) for those nobody labelled. Excludes `unlabelled=true`.", Choice([.. Wire<AuditLabel>(AuditNames.ToWire), "none"])),
        "unlabelled" => Parameter(name, "`true` (or `1`): only decisions nobody labelled, the same as `label=none`.", Boolean()),
        "search" => Parameter(name, "Words that must all occur in the stored content, taken literally (no search operators).", Text("weather")),
        "after" => Parameter(name, "Keyset cursor: the decisions after this decision id, the `next_cursor` of the previous page.", Pattern($"^[0-9A-Za-z]{{{AuditIdGenerator.Length}}}$", "01JH0000000000000000000000")),
        "limit" when use == AuditQueryUse.List => Parameter(name, $"Page size, 1 to {AuditQuery.MaxLimit}. Default {AuditQueryParser.DefaultLimit}.", Integer(1, AuditQuery.MaxLimit, example: 20, defaultValue: AuditQueryParser.DefaultLimit)),
        "limit" => Parameter(name, "At most this many decisions (0 exports nothing; a CSV still gets its header). Default: every match.", Integer(0, null, example: 100)),
        "sort" => Parameter(name, "`newest` first (the default) or `oldest` first.", Choice(["newest", "oldest"], "newest")),
        _ => throw new InvalidOperationException($"The query parameter '{name}' has no OpenAPI description: add one to {nameof(AdminQueryParameters)}."),
    };

    private static OpenApiParameter Parameter(string name, string description, OpenApiSchema schema) => new()
    {
        Name = name,
        In = ParameterLocation.Query,
        Description = description + " Given at most once; an empty value is the parameter not set.",
        Required = false,
        Schema = schema,
    };

    private static string[] Wire<T>(Func<T, string> wire)
        where T : struct, Enum => [.. Enum.GetValues<T>().Select(wire)];

    private static OpenApiSchema Text(string example) =>
        new() { Type = JsonSchemaType.String, MaxLength = AuditQueryParser.MaxValueLength, Examples = [example] };

    private static OpenApiSchema Pattern(string pattern, string example) =>
        new() { Type = JsonSchemaType.String, Pattern = pattern, Examples = [example] };

    private static OpenApiSchema Choice(IReadOnlyList<string> values, string? defaultValue = null) => new()
    {
        Type = JsonSchemaType.String,
        Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))],
        Default = defaultValue is null ? null : JsonValue.Create(defaultValue),
        Description = "Case-insensitive.",
    };

    private static OpenApiSchema Boolean() => new()
    {
        Type = JsonSchemaType.String,
        Enum = [JsonValue.Create("true"), JsonValue.Create("false"), JsonValue.Create("1"), JsonValue.Create("0")],
        Default = JsonValue.Create("false"),
        Description = "Case-insensitive.",
    };

    private static OpenApiSchema Integer(long minimum, long? maximum, long example, long? defaultValue = null) => new()
    {
        Type = JsonSchemaType.Integer,
        Format = "int64",
        Minimum = minimum.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Maximum = maximum?.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Examples = [example],
        Default = defaultValue is null ? null : JsonValue.Create(defaultValue.Value),
    };
}
