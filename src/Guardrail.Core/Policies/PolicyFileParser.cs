using System.Text.RegularExpressions;
using Guardrail.Auditing;
using Guardrail.Diagnostics;
using Guardrail.Taxonomy;
using YamlDotNet.Core;

namespace Guardrail.Policies;

/// <summary>
/// Reads one policy file into a <see cref="PolicyDraft"/>, reporting every problem that the file alone shows
/// (syntax, unknown keys, wrong types, out-of-range values). Checks that need the taxonomy or the other
/// policies are <see cref="PolicyLoader"/>'s.
/// </summary>
internal static partial class PolicyFileParser
{
    /// <summary>Longest refusal text: it is sent to clients as a completion and should read as one.</summary>
    public const int MaxRefusalChars = 2_000;

    private static readonly string[] RootKeys =
    [
        "id", "description", "default", "taxonomy", "threshold", "default_action", "categories", "custom_categories",
        "checks", "streaming", "on_error", "refusal_text", "blocked_prompt_response", "applies_to", "shadow",
        "content_retention",
    ];

    private static readonly string[] CustomKeys = ["code", "name", "description", "action"];
    private static readonly string[] CheckKeys = ["prompts", "responses"];
    private static readonly string[] StreamingKeys = ["mode", "window_chars", "overlap_chars"];
    private static readonly string[] AppliesToKeys = ["tenants", "models", "routes"];

    internal static readonly Dictionary<string, CategoryAction> Actions = new(StringComparer.Ordinal)
    {
        ["block"] = CategoryAction.Block,
        ["flag"] = CategoryAction.Flag,
        ["off"] = CategoryAction.Off,
    };

    private static readonly Dictionary<string, StreamingMode> Modes = new(StringComparer.Ordinal)
    {
        ["buffer"] = StreamingMode.Buffer,
        ["window"] = StreamingMode.Window,
        ["monitor"] = StreamingMode.Monitor,
    };

    private static readonly Dictionary<string, ErrorAction> ErrorActions = new(StringComparer.Ordinal)
    {
        ["block"] = ErrorAction.Block,
        ["allow"] = ErrorAction.Allow,
    };

    private static readonly Dictionary<string, BlockedPromptResponse> PromptResponses = new(StringComparer.Ordinal)
    {
        ["error"] = BlockedPromptResponse.Error,
        ["refusal"] = BlockedPromptResponse.Refusal,
    };

    private static readonly Dictionary<string, ContentRetention> Retentions = new(StringComparer.Ordinal)
    {
        ["full"] = ContentRetention.Full,
        ["redacted"] = ContentRetention.Redacted,
        ["hash"] = ContentRetention.Hash,
        ["none"] = ContentRetention.None,
    };

    /// <summary>Parses <paramref name="file"/>; null when the file is not even a mapping.</summary>
    public static PolicyDraft? Parse(PolicySourceFile file, DiagnosticList errors)
    {
        YamlTreeNode? root;
        try
        {
            root = YamlTreeReader.Read(PolicyVersion.Normalize(file.Text));
        }
        catch (YamlException exception)
        {
            errors.Add(file.Path, YamlTreeReader.Line(exception.Start), YamlTreeReader.Column(exception.Start), $"YAML syntax: {exception.Message}");
            return null;
        }

        if (root is not YamlTreeMapping mapping)
        {
            errors.Add(file.Path, root?.Line ?? 1, root?.Column ?? 1, "a policy file must be a mapping with at least 'id' and 'taxonomy'");
            return null;
        }

        var fields = new YamlFields(mapping, RootKeys, "policy", file.Path, errors);
        var id = fields.String("id", required: true, what: "policy");
        if (id is not null && !IdPattern().IsMatch(id))
        {
            errors.Add(fields.Position("id")!, $"id '{id}' must be lower-case letters, digits, '.', '_' or '-', starting with a letter or digit");
        }

        var taxonomy = fields.String("taxonomy", required: true, what: "policy");
        var threshold = fields.Number("threshold");
        if (threshold is { } value && !(value > 0 && value < 1))
        {
            errors.Add(fields.Position("threshold")!, $"threshold {value.ToString(System.Globalization.CultureInfo.InvariantCulture)} must be strictly between 0 and 1 (P(unsafe) at or above it counts as unsafe)");
        }

        var refusal = fields.String("refusal_text");
        if (fields.Has("refusal_text") && string.IsNullOrWhiteSpace(refusal))
        {
            errors.Add(fields.Position("refusal_text")!, "'refusal_text' must not be empty");
        }
        else if (refusal is not null && refusal.Length > MaxRefusalChars)
        {
            errors.Add(fields.Position("refusal_text")!, $"'refusal_text' must be at most {MaxRefusalChars} characters");
        }

        var shadow = fields.String("shadow");
        var checks = ReadChecks(fields, file.Path, errors);
        var isDefault = fields.Boolean("default") ?? false;

        return new PolicyDraft
        {
            File = file,
            Id = id,
            Position = fields.MappingPosition,
            IdPosition = fields.Position("id"),
            Description = fields.String("description"),
            IsDefault = isDefault,
            DefaultPosition = fields.Position("default"),
            TaxonomyId = taxonomy,
            TaxonomyPosition = fields.Position("taxonomy"),
            Threshold = threshold is > 0 and < 1 ? threshold.Value : Policy.DefaultThreshold,
            DefaultAction = fields.Choice("default_action", Actions) ?? CategoryAction.Block,
            DefaultActionPosition = fields.Position("default_action"),
            CategoryActions = ReadCategoryActions(fields, file.Path, errors),
            CategoriesPosition = fields.Position("categories"),
            CustomCategories = ReadCustomCategories(fields, file.Path, errors),
            CheckPrompts = checks.Prompts,
            CheckResponses = checks.Responses,
            Streaming = ReadStreaming(fields, file.Path, errors),
            OnError = fields.Choice("on_error", ErrorActions) ?? ErrorAction.Block,
            RefusalText = string.IsNullOrWhiteSpace(refusal) ? Policy.DefaultRefusalText : refusal,
            BlockedPromptResponse = fields.Choice("blocked_prompt_response", PromptResponses) ?? BlockedPromptResponse.Error,
            AppliesTo = ReadAppliesTo(fields, file.Path, errors),
            Shadow = shadow,
            ShadowPosition = fields.Position("shadow"),
            // "inherit" (the default) keeps the audit store's configured mode: no override.
            ContentRetention = fields.Node("content_retention") is YamlTreeScalar { Value: "inherit" } ? null : fields.Choice("content_retention", Retentions, alsoAccepted: "inherit"),
        };
    }

    private static CategoryActionEntry[] ReadCategoryActions(YamlFields fields, string file, DiagnosticList errors)
    {
        if (fields.SubMapping("categories") is not { } mapping)
        {
            return [];
        }

        var entries = new List<CategoryActionEntry>();
        foreach (var (key, value) in mapping.Entries)
        {
            var position = new SourcePosition(file, key.Line, key.Column);
            if (HazardCategory.CodeProblem(key.Value) is { } problem)
            {
                errors.Add(position, problem);
                continue;
            }

            if (entries.Find(entry => string.Equals(entry.Code, key.Value, StringComparison.Ordinal)) is { } first)
            {
                errors.Add(position, $"duplicate code {key.Value} in 'categories' (first at line {first.Position.Line})");
                continue;
            }

            if (fields.ReadChoice(value, $"the action of {key.Value}", Actions) is { } action)
            {
                entries.Add(new CategoryActionEntry(key.Value, action, position));
            }
        }

        return [.. entries];
    }

    private static CustomCategoryEntry[] ReadCustomCategories(YamlFields fields, string file, DiagnosticList errors)
    {
        if (fields.List("custom_categories") is not { } sequence)
        {
            return [];
        }

        var entries = new List<CustomCategoryEntry>();
        foreach (var item in sequence.Items)
        {
            if (item is not YamlTreeMapping mapping)
            {
                errors.Add(file, item, "each custom category must be a mapping with 'code', 'name', 'description' and 'action'");
                continue;
            }

            var custom = new YamlFields(mapping, CustomKeys, "custom category", file, errors);
            var code = custom.String("code", required: true, what: "custom category");
            if (code is not null && HazardCategory.CodeProblem(code) is { } codeProblem)
            {
                errors.Add(custom.Position("code")!, codeProblem);
                code = null;
            }

            var label = code ?? $"at line {mapping.Line}";
            var name = custom.String("name", required: true, what: $"custom category {label}");
            if (name is not null)
            {
                foreach (var problem in HazardCategory.NameProblems(label, name))
                {
                    errors.Add(custom.Position("name")!, problem);
                }
            }

            // The model knows a custom category only through its description, so it is required.
            var description = custom.String("description", required: true, what: $"custom category {label}");
            if (description is not null)
            {
                foreach (var problem in HazardCategory.TextProblems($"description of {label}", description))
                {
                    errors.Add(custom.Position("description")!, problem);
                }
            }

            var action = custom.Choice("action", Actions);
            if (code is not null && name is not null && description is not null)
            {
                entries.Add(new CustomCategoryEntry(code, name.Trim(), description.Trim(), action, custom.MappingPosition, custom.Position("code")!));
            }
        }

        return [.. entries];
    }

    private static (bool Prompts, bool Responses) ReadChecks(YamlFields fields, string file, DiagnosticList errors)
    {
        if (fields.SubMapping("checks") is not { } mapping)
        {
            return (true, true);
        }

        var checks = new YamlFields(mapping, CheckKeys, "checks", file, errors);
        return (checks.Boolean("prompts") ?? true, checks.Boolean("responses") ?? true);
    }

    private static StreamingSettings ReadStreaming(YamlFields fields, string file, DiagnosticList errors)
    {
        if (fields.SubMapping("streaming") is not { } mapping)
        {
            return new StreamingSettings();
        }

        var streaming = new YamlFields(mapping, StreamingKeys, "streaming", file, errors);
        var mode = streaming.Choice("mode", Modes) ?? StreamingMode.Window;
        var window = streaming.WholeNumber("window_chars");
        var overlap = streaming.WholeNumber("overlap_chars");
        if (window is { } windowChars && windowChars is < StreamingSettings.MinWindowChars or > StreamingSettings.MaxWindowChars)
        {
            errors.Add(streaming.Position("window_chars")!, $"window_chars must be from {StreamingSettings.MinWindowChars} to {StreamingSettings.MaxWindowChars}");
            window = null;
        }

        var effectiveWindow = window ?? StreamingSettings.DefaultWindowChars;
        if (overlap is { } overlapChars && overlapChars >= effectiveWindow)
        {
            errors.Add(streaming.Position("overlap_chars")!, $"overlap_chars ({overlapChars}) must be less than window_chars ({effectiveWindow})");
            overlap = null;
        }

        if (mode == StreamingMode.Buffer && (window is not null || overlap is not null))
        {
            var position = streaming.Position("window_chars") ?? streaming.Position("overlap_chars")!;
            errors.Add(position, "window_chars and overlap_chars apply to 'window' and 'monitor' modes; 'buffer' checks the whole response");
        }

        return new StreamingSettings
        {
            Mode = mode,
            WindowChars = effectiveWindow,
            OverlapChars = overlap ?? Math.Min(StreamingSettings.DefaultOverlapChars, effectiveWindow / 2),
        };
    }

    private static PolicyAppliesTo ReadAppliesTo(YamlFields fields, string file, DiagnosticList errors)
    {
        if (fields.SubMapping("applies_to") is not { } mapping)
        {
            return PolicyAppliesTo.Nothing;
        }

        var appliesTo = new YamlFields(mapping, AppliesToKeys, "applies_to", file, errors);
        var models = appliesTo.TextList("models");
        if (appliesTo.Node("models") is YamlTreeSequence sequence)
        {
            foreach (var item in sequence.Items)
            {
                if (item is YamlTreeScalar scalar && scalar.Value.IndexOf('*', StringComparison.Ordinal) is >= 0 and var star && star != scalar.Value.Length - 1)
                {
                    errors.Add(file, item, $"model pattern '{scalar.Value}' may hold '*' only at its end (a prefix match)");
                }
            }
        }

        return new PolicyAppliesTo
        {
            Tenants = appliesTo.TextList("tenants"),
            Models = models,
            Routes = appliesTo.TextList("routes"),
        };
    }

    [GeneratedRegex(@"\A[a-z0-9][a-z0-9._-]*\z", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    internal static partial Regex IdPattern();
}
