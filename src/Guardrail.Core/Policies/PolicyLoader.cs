using Guardrail.Diagnostics;
using Guardrail.Taxonomy;

namespace Guardrail.Policies;

/// <summary>
/// Loads <c>policies/*.yaml</c> (one policy per file) and <c>taxonomy/*.yaml</c>, validates them together and
/// builds a <see cref="PolicySnapshot"/>, collecting every error with its file, line and column.
/// </summary>
public static class PolicyLoader
{
    private const string Invalid = "The policies are not valid";

    /// <summary>
    /// Reads every <c>*.yaml</c> / <c>*.yml</c> file directly in each directory (names starting with <c>.</c> or
    /// <c>#</c>, editors' temporary files, are skipped) and loads them.
    /// </summary>
    public static LoadResult<PolicySnapshot> LoadDirectories(string policiesDirectory, string taxonomyDirectory, PolicyLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(policiesDirectory);
        ArgumentException.ThrowIfNullOrEmpty(taxonomyDirectory);
        var errors = new DiagnosticList();
        var policies = ReadDirectory(policiesDirectory, errors);
        var taxonomies = ReadDirectory(taxonomyDirectory, errors);
        return errors.Count > 0
            ? Failed(errors)
            : Load(policies, taxonomies, options);
    }

    /// <summary>Validates policy and taxonomy files given as text.</summary>
    public static LoadResult<PolicySnapshot> Load(IReadOnlyList<PolicySourceFile> policyFiles, IReadOnlyList<PolicySourceFile> taxonomyFiles, PolicyLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(policyFiles);
        ArgumentNullException.ThrowIfNull(taxonomyFiles);
        options ??= new PolicyLoadOptions();
        var errors = new DiagnosticList();
        var orderedPolicies = policyFiles.OrderBy(static file => file.Name, StringComparer.Ordinal).ToArray();
        var orderedTaxonomies = taxonomyFiles.OrderBy(static file => file.Name, StringComparer.Ordinal).ToArray();
        CheckDuplicateNames(orderedPolicies, errors);
        CheckDuplicateNames(orderedTaxonomies, errors);

        var taxonomies = LoadTaxonomies(orderedTaxonomies, errors);
        var drafts = orderedPolicies
            .Select(file => PolicyFileParser.Parse(file, errors))
            .OfType<PolicyDraft>()
            .ToArray();
        var policies = new List<Policy>();
        foreach (var draft in drafts)
        {
            if (Build(draft, taxonomies, errors) is { } policy)
            {
                policies.Add(policy);
            }
        }

        CheckIds(drafts, errors);
        CheckDefault(drafts, errors);
        CheckShadows(drafts, errors);
        CheckRequired(drafts, options, errors);
        if (errors.Count > 0)
        {
            return Failed(errors);
        }

        var version = PolicyVersion.HashSet(orderedPolicies, orderedTaxonomies);
        return new LoadResult<PolicySnapshot>
        {
            FailureSummary = Invalid,
            Value = new PolicySnapshot(policies, [.. taxonomies.Values.Select(static entry => entry.Taxonomy)], version),
        };
    }

    private static LoadResult<PolicySnapshot> Failed(DiagnosticList errors) => new() { FailureSummary = Invalid, Errors = errors.Items };

    internal static List<PolicySourceFile> ReadDirectory(string directory, DiagnosticList errors)
    {
        var files = new List<PolicySourceFile>();
        if (!Directory.Exists(directory))
        {
            errors.Add(directory, 0, 0, "directory not found");
            return files;
        }

        IEnumerable<string> paths;
        try
        {
            paths = Directory.EnumerateFiles(directory).Where(IsConfigFile).ToArray();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            errors.Add(directory, 0, 0, $"cannot list the directory: {exception.Message}");
            return files;
        }

        foreach (var path in paths)
        {
            try
            {
                files.Add(new PolicySourceFile(path, File.ReadAllText(path)));
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                errors.Add(path, 0, 0, $"cannot read the file: {exception.Message}");
            }
        }

        return files;
    }

    internal static bool IsConfigFile(string path)
    {
        var name = Path.GetFileName(path);
        return !name.StartsWith('.') && !name.StartsWith('#')
            && (name.EndsWith(".yaml", StringComparison.Ordinal) || name.EndsWith(".yml", StringComparison.Ordinal));
    }

    private static void CheckDuplicateNames(PolicySourceFile[] files, DiagnosticList errors)
    {
        foreach (var group in files.GroupBy(static file => file.Name, StringComparer.Ordinal).Where(static group => group.Count() > 1))
        {
            foreach (var file in group.Skip(1))
            {
                errors.Add(file.Path, 0, 0, $"two files are named '{group.Key}'; file names order policies and must be unique");
            }
        }
    }

    private static Dictionary<string, (HazardTaxonomy Taxonomy, PolicySourceFile File)> LoadTaxonomies(PolicySourceFile[] files, DiagnosticList errors)
    {
        var taxonomies = new Dictionary<string, (HazardTaxonomy Taxonomy, PolicySourceFile File)>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var result = TaxonomyLoader.Parse(PolicyVersion.Normalize(file.Text), file.Path);
            foreach (var error in result.Errors)
            {
                errors.Add(error.File, error.Line, error.Column, error.Message);
            }

            if (!result.Succeeded)
            {
                continue;
            }

            var taxonomy = result.Value!;
            if (taxonomies.TryGetValue(taxonomy.Id, out var first))
            {
                errors.Add(file.Path, 1, 1, $"taxonomy id '{taxonomy.Id}' is already defined in {first.File.Path}");
                continue;
            }

            taxonomies[taxonomy.Id] = (taxonomy, file);
        }

        if (files.Length == 0)
        {
            errors.Add("taxonomy", 0, 0, "no taxonomy file (*.yaml) found; ship taxonomy/llama-guard-3.yaml");
        }

        return taxonomies;
    }

    private static Policy? Build(PolicyDraft draft, Dictionary<string, (HazardTaxonomy Taxonomy, PolicySourceFile File)> taxonomies, DiagnosticList errors)
    {
        if (draft.TaxonomyId is null)
        {
            return null;
        }

        if (!taxonomies.TryGetValue(draft.TaxonomyId, out var entry))
        {
            var known = taxonomies.Count == 0 ? "none loaded" : string.Join(", ", taxonomies.Keys.Order(StringComparer.Ordinal));
            errors.Add(draft.TaxonomyPosition!, $"unknown taxonomy '{draft.TaxonomyId}' (known: {known})");
            return null;
        }

        var before = errors.Count;
        var categories = BuildCategories(draft, entry.Taxonomy, errors);
        if (draft.Id is null || errors.Count > before)
        {
            return null;
        }

        return new Policy
        {
            Id = draft.Id,
            Description = draft.Description,
            IsDefault = draft.IsDefault,
            Taxonomy = entry.Taxonomy,
            Threshold = draft.Threshold,
            DefaultAction = draft.DefaultAction,
            Categories = categories,
            CheckPrompts = draft.CheckPrompts,
            CheckResponses = draft.CheckResponses,
            Streaming = draft.Streaming,
            OnError = draft.OnError,
            RefusalText = draft.RefusalText,
            BlockedPromptResponse = draft.BlockedPromptResponse,
            AppliesTo = draft.AppliesTo,
            Shadow = draft.Shadow,
            ContentRetention = draft.ContentRetention,
            SourceFile = draft.File.Path,
            ContentHash = PolicyVersion.Hash([("policy", draft.File), ("taxonomy", entry.File)]),
        };
    }

    private static List<PolicyCategory> BuildCategories(PolicyDraft draft, HazardTaxonomy taxonomy, DiagnosticList errors)
    {
        var inherited = draft.DefaultActionPosition ?? draft.TaxonomyPosition;
        var categories = new List<PolicyCategory>();
        foreach (var category in taxonomy.Categories)
        {
            var entry = draft.CategoryActions.FirstOrDefault(entry => string.Equals(entry.Code, category.Code, StringComparison.Ordinal));
            categories.Add(new PolicyCategory
            {
                Category = category,
                Action = entry?.Action ?? draft.DefaultAction,
                Source = entry?.Position ?? inherited,
            });
        }

        var highest = taxonomy.Categories.Max(static category => category.Number);
        var previous = highest;
        foreach (var custom in draft.CustomCategories)
        {
            var number = HazardCategory.ParseNumber(custom.Code)!.Value;
            if (taxonomy.Find(custom.Code) is { } taken)
            {
                errors.Add(custom.CodePosition, $"custom category {custom.Code} collides with {taxonomy.Id}'s {taken.Code} ({taken.Name}); custom codes start at {taxonomy.NextFreeCode}");
                continue;
            }

            if (number <= highest)
            {
                errors.Add(custom.CodePosition, $"custom category {custom.Code} must come after {taxonomy.Id}'s highest code S{highest}; custom codes start at {taxonomy.NextFreeCode}");
                continue;
            }

            if (categories.Exists(category => string.Equals(category.Code, custom.Code, StringComparison.Ordinal)))
            {
                errors.Add(custom.CodePosition, $"duplicate code {custom.Code} in 'custom_categories'");
                continue;
            }

            if (number < previous)
            {
                errors.Add(custom.CodePosition, $"custom category {custom.Code} must not come before S{previous}; list custom categories in ascending code order");
            }

            previous = Math.Max(previous, number);
            categories.Add(new PolicyCategory
            {
                Category = new HazardCategory { Code = custom.Code, Name = custom.Name, Description = custom.Description, DescribeInPrompt = true },
                Action = custom.Action ?? draft.DefaultAction,
                IsCustom = true,
                Source = custom.Position,
            });
        }

        foreach (var entry in draft.CategoryActions)
        {
            var category = categories.Find(category => string.Equals(category.Code, entry.Code, StringComparison.Ordinal));
            if (category is null)
            {
                var codes = string.Join(", ", categories.Select(static category => category.Code));
                errors.Add(entry.Position, $"unknown category code {entry.Code}: taxonomy {taxonomy.Id} and this policy's custom categories define {codes}");
            }
            else if (category.IsCustom)
            {
                errors.Add(entry.Position, $"{entry.Code} is a custom category; set its action with 'action' in 'custom_categories'");
            }
        }

        if ((draft.CheckPrompts || draft.CheckResponses) && categories.TrueForAll(static category => category.Action == CategoryAction.Off))
        {
            errors.Add(draft.CategoriesPosition ?? draft.DefaultActionPosition ?? draft.Position, "every category is off, so there is nothing to send to the model; turn the checks off instead");
        }

        return categories;
    }

    private static void CheckIds(PolicyDraft[] drafts, DiagnosticList errors)
    {
        var first = new Dictionary<string, PolicyDraft>(StringComparer.Ordinal);
        foreach (var draft in drafts.Where(static draft => draft.Id is not null))
        {
            if (first.TryGetValue(draft.Id!, out var earlier))
            {
                errors.Add(draft.IdPosition!, $"policy id '{draft.Id}' is already used by {earlier.IdPosition}");
            }
            else
            {
                first[draft.Id!] = draft;
            }
        }
    }

    private static void CheckDefault(PolicyDraft[] drafts, DiagnosticList errors)
    {
        var defaults = drafts.Where(static draft => draft.IsDefault).ToArray();
        if (defaults.Length == 0)
        {
            errors.Add("policies", 0, 0, "no default policy: set 'default: true' on exactly one policy (used when no route or applies_to chooses one)");
        }

        foreach (var extra in defaults.Skip(1))
        {
            errors.Add(extra.DefaultPosition!, $"only one policy may be the default; {defaults[0].DefaultPosition} already is");
        }
    }

    private static void CheckShadows(PolicyDraft[] drafts, DiagnosticList errors)
    {
        var byId = drafts.Where(static draft => draft.Id is not null)
            .GroupBy(static draft => draft.Id!, StringComparer.Ordinal)
            .ToDictionary(static group => group.Key, static group => group.First(), StringComparer.Ordinal);
        foreach (var draft in drafts.Where(static draft => draft.Shadow is not null))
        {
            if (string.Equals(draft.Shadow, draft.Id, StringComparison.Ordinal))
            {
                errors.Add(draft.ShadowPosition!, $"policy '{draft.Id}' cannot be its own shadow");
                continue;
            }

            if (!byId.ContainsKey(draft.Shadow!))
            {
                errors.Add(draft.ShadowPosition!, $"unknown shadow policy '{draft.Shadow}' (known: {string.Join(", ", byId.Keys.Order(StringComparer.Ordinal))})");
                continue;
            }

            // Only one level of shadow is ever evaluated, but a cycle is always a mistake: a shadow is a candidate
            // to replace its policy, and two policies cannot each be the other's candidate.
            var path = new List<string> { draft.Id ?? "?" };
            var current = draft;
            while (current.Shadow is { } next && byId.TryGetValue(next, out var shadow))
            {
                path.Add(next);
                if (string.Equals(next, draft.Id, StringComparison.Ordinal))
                {
                    errors.Add(draft.ShadowPosition!, $"shadow cycle: {string.Join(" -> ", path)}");
                    break;
                }

                if (path.Count > byId.Count + 1)
                {
                    break;
                }

                current = shadow;
            }
        }
    }

    private static void CheckRequired(PolicyDraft[] drafts, PolicyLoadOptions options, DiagnosticList errors)
    {
        foreach (var id in options.RequiredPolicyIds.Order(StringComparer.Ordinal))
        {
            if (!drafts.Any(draft => string.Equals(draft.Id, id, StringComparison.Ordinal)))
            {
                errors.Add("policies", 0, 0, $"policy '{id}' is required (a route names it) but no file defines it");
            }
        }
    }
}
