using System.Text.Json.Nodes;
using Guardrail.Audit.Querying;
using Guardrail.Auditing;
using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.Policies;
using Microsoft.OpenApi;

namespace Guardrail.Gateway.Admin.OpenApi;

/// <summary>
/// The schemas of the admin API's bodies, written by hand because the handlers write their JSON by hand
/// (<see cref="AdminJson"/>, <see cref="Guardrail.Audit.Export.AuditJsonLinesWriter"/>): every object lists every
/// property it has and is closed (<c>additionalProperties: false</c>), so that the tests can hold real responses
/// to them property for property.
/// </summary>
internal static class AdminOpenApiSchemas
{
    public const string Decision = "Decision";
    public const string DecisionList = "DecisionList";
    public const string Stats = "Stats";
    public const string AdminAction = "AdminAction";
    public const string AdminActionList = "AdminActionList";
    public const string LabelRequest = "LabelRequest";
    public const string Error = "Error";

    /// <summary>Every schema, by component name.</summary>
    public static IReadOnlyDictionary<string, OpenApiSchema> Create(OpenApiDocument document) => new SortedDictionary<string, OpenApiSchema>(StringComparer.Ordinal)
    {
        [Decision] = Object("One moderation decision, exactly as a line of the JSON Lines export writes it.", new(StringComparer.Ordinal)
        {
            ["id"] = String("The decision id (26 characters, time-ordered): the `x-guardrail-decision-id` header of the response it was made for."),
            ["time"] = DateTime("When the decision was made (UTC)."),
            ["tenant"] = String("The tenant of the caller's gateway key."),
            ["key_id"] = String("The id of the gateway key the request came with.", nullable: true),
            ["route"] = String("The route id."),
            ["model"] = String("The model the request named."),
            ["direction"] = Enum("What was checked.", Values<CheckDirection>(AuditNames.ToWire)),
            ["verdict"] = Enum("The classifier's verdict (`not_checked`: refused before any check).", Values<GuardOutcome>(AuditNames.ToWire)),
            ["action"] = Enum("What the policy did.", Values<ModerationAction>(AuditNames.ToWire)),
            ["categories"] = Codes("The unsafe categories the classifier named."),
            ["unsafe_probability"] = Number("The classifier's probability that the content is unsafe, 0 to 1."),
            ["threshold"] = Number("The policy's threshold the probability was compared with."),
            ["policy_id"] = String("The policy that decided."),
            ["policy_version"] = String("That policy's version."),
            ["shadow_action"] = Enum("What a shadow policy would have done, when one runs.", Values<ModerationAction>(AuditNames.ToWire), nullable: true),
            ["classifier_model"] = String("The classifier model that answered.", nullable: true),
            ["classification_latency_ms"] = Number("How long the classification took, in milliseconds."),
            ["cache_hit"] = Boolean("Whether the verdict came from the verdict cache."),
            ["truncated"] = Boolean("Whether the content was cut to fit the classifier's context."),
            ["request_id"] = String("The request's id.", nullable: true),
            ["trace_id"] = String("The W3C trace id of the request.", nullable: true),
            ["classifier_endpoint"] = String("The remote classifier endpoint that answered.", nullable: true),
            ["refusal"] = String("Why the request was refused before any check (such as `rate_limit:tokens`).", nullable: true),
            ["content"] = String("The stored content, as the retention setting keeps it (full, redacted, or none).", nullable: true),
            ["content_retention"] = Enum("How the content was kept.", Values<ContentRetention>(AuditNames.ToWire), nullable: true),
            ["content_hash"] = String("The SHA-256 of the content, when it was hashed.", nullable: true),
            ["label"] = Enum("The reviewer's label.", Values<AuditLabel>(AuditNames.ToWire), nullable: true),
            ["label_categories"] = Codes("The categories a `false_negative` label names."),
            ["reviewer"] = String("Who labelled the decision.", nullable: true),
            ["label_note"] = String("The reviewer's note.", nullable: true),
            ["labelled_at"] = DateTime("When the decision was labelled (UTC).", nullable: true),
        }),
        [DecisionList] = Object("One page of decisions.", new(StringComparer.Ordinal)
        {
            ["object"] = Const("list"),
            ["data"] = Array("The decisions of this page, in the requested order.", Reference(Decision, document)),
            ["next_cursor"] = String("Pass as `after` for the next page; null on the last page.", nullable: true),
            ["total"] = Integer("How many decisions match the filters, on every page together."),
        }),
        [Stats] = Object("Counts of the matching decisions.", new(StringComparer.Ordinal)
        {
            ["total"] = Integer("Matching decisions."),
            ["unlabelled"] = Integer("Of those, the ones nobody labelled."),
            ["by_action"] = Counts("Decisions by action (`allow`, `flag`, `block`)."),
            ["by_direction"] = Counts("Decisions by direction (`prompt`, `response`)."),
            ["by_verdict"] = Counts("Decisions by verdict."),
            ["by_category"] = Counts("Decisions by category code named."),
            ["by_label"] = Counts("Decisions by label."),
        }),
        [AdminAction] = Object("One admin API request that passed authorization.", new(StringComparer.Ordinal)
        {
            ["sequence"] = Integer("The action's sequence number; pass the page's last as `before` for older actions."),
            ["time"] = DateTime("When the request came (UTC)."),
            ["key_id"] = String("The admin key's id."),
            ["action"] = String("The endpoint: `admin_decisions`, `admin_decision`, `admin_export`, `admin_label`, `admin_stats`, `admin_actions`, `admin_openapi`."),
            ["target"] = String("The decision id, or the query string; null when there was neither.", nullable: true),
        }),
        [AdminActionList] = Object("One page of admin actions, newest first.", new(StringComparer.Ordinal)
        {
            ["object"] = Const("list"),
            ["data"] = Array("The actions of this page.", Reference(AdminAction, document)),
            ["next_cursor"] = Integer("Pass as `before` for the next page; null on the last page.", nullable: true),
        }),
        [LabelRequest] = Object("A reviewer's label for a decision.", new(StringComparer.Ordinal)
        {
            ["label"] = Enum("`false_positive`: should not have been flagged or blocked; `false_negative`: should have been; `confirmed`: right.", Values<AuditLabel>(AuditNames.ToWire)),
            ["reviewer"] = String("Who labels."),
            ["note"] = String("Free text.", nullable: true),
            ["categories"] = Array("The categories a `false_negative` misses (category codes, upper-cased); for `false_negative` only.", Code(), nullable: true),
        }, required: ["label", "reviewer"]),
        [Error] = Object("An error in OpenAI's shape.", new(StringComparer.Ordinal)
        {
            ["error"] = Object("The error.", new(StringComparer.Ordinal)
            {
                ["message"] = String("What went wrong and, for a 400, every problem found, each naming its parameter."),
                ["type"] = String("`invalid_request_error` or `server_error`."),
                ["param"] = String("The query parameter or body field at fault (the first of them).", nullable: true),
                ["code"] = String("A stable code: `invalid_parameter`, `invalid_api_key`, `admin_key_required`, `admin_role_required`, `unscoped_admin_key_required`, `decision_not_found`, `request_too_large`, `internal_error`.", nullable: true),
            }),
        }),
    };

    /// <summary>A reference to the component <paramref name="name"/>.</summary>
    public static OpenApiSchemaReference Reference(string name, OpenApiDocument document) => new(name, document);

    private static OpenApiSchema Object(string description, Dictionary<string, IOpenApiSchema> properties, IEnumerable<string>? required = null) => new()
    {
        Type = JsonSchemaType.Object,
        Description = description,
        Properties = properties,
        Required = new SortedSet<string>(required ?? properties.Keys, StringComparer.Ordinal),
        AdditionalPropertiesAllowed = false,
    };

    private static OpenApiSchema String(string description, bool nullable = false) =>
        new() { Type = Nullable(JsonSchemaType.String, nullable), Description = description };

    private static OpenApiSchema DateTime(string description, bool nullable = false) =>
        new() { Type = Nullable(JsonSchemaType.String, nullable), Format = "date-time", Description = description };

    private static OpenApiSchema Number(string description) => new() { Type = JsonSchemaType.Number, Description = description };

    private static OpenApiSchema Integer(string description, bool nullable = false) =>
        new() { Type = Nullable(JsonSchemaType.Integer, nullable), Format = "int64", Description = description };

    private static OpenApiSchema Boolean(string description) => new() { Type = JsonSchemaType.Boolean, Description = description };

    private static OpenApiSchema Const(string value) =>
        new() { Type = JsonSchemaType.String, Enum = [JsonValue.Create(value)] };

    private static OpenApiSchema Enum(string description, IEnumerable<string> values, bool nullable = false) => new()
    {
        Type = Nullable(JsonSchemaType.String, nullable),
        Description = description,
        Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v)), .. nullable ? new JsonNode[] { null! } : []],
    };

    private static OpenApiSchema Code() =>
        new() { Type = JsonSchemaType.String, Pattern = $"^[A-Z0-9]{{1,{AuditQueryParser.MaxCategoryLength}}}$" };

    private static OpenApiSchema Codes(string description) => Array(description, Code());

    private static OpenApiSchema Array(string description, IOpenApiSchema items, bool nullable = false) =>
        new() { Type = Nullable(JsonSchemaType.Array, nullable), Description = description, Items = items };

    private static OpenApiSchema Counts(string description) => new()
    {
        Type = JsonSchemaType.Object,
        Description = description,
        AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64" },
    };

    private static JsonSchemaType Nullable(JsonSchemaType type, bool nullable) => nullable ? type | JsonSchemaType.Null : type;

    private static IEnumerable<string> Values<T>(Func<T, string> wire)
        where T : struct, System.Enum => System.Enum.GetValues<T>().Select(wire);
}
