using Guardrail.Diagnostics;
using Guardrail.Classification;
using Guardrail.Taxonomy;

namespace Guardrail.Policies;

/// <summary>
/// An immutable, validated set of policies and taxonomies with a content version. Requests take the current
/// snapshot once and keep it, so a reload never changes the policy under a request in flight.
/// </summary>
public sealed class PolicySnapshot
{
    private readonly Dictionary<string, Policy> _byId;
    private readonly Dictionary<string, HazardTaxonomy> _taxonomies;

    internal PolicySnapshot(IReadOnlyList<Policy> policies, IReadOnlyList<HazardTaxonomy> taxonomies, string version)
    {
        Policies = policies;
        Taxonomies = taxonomies;
        Version = version;
        _byId = policies.ToDictionary(static policy => policy.Id, StringComparer.Ordinal);
        _taxonomies = taxonomies.ToDictionary(static taxonomy => taxonomy.Id, StringComparer.Ordinal);
        Default = policies.Single(static policy => policy.IsDefault);
    }

    /// <summary>
    /// SHA-256 (lower-case hex) over every policy and taxonomy file, each framed with its kind and file name,
    /// its text normalised (no BOM, <c>\n</c> line ends), in file-name order: the same files give the same
    /// version whatever order the file system lists them in, and any change to any file gives a new one.
    /// </summary>
    public string Version { get; }

    /// <summary>Every policy, in resolution order (by file name, ordinal).</summary>
    public IReadOnlyList<Policy> Policies { get; }

    /// <summary>Every taxonomy.</summary>
    public IReadOnlyList<HazardTaxonomy> Taxonomies { get; }

    /// <summary>The policy marked <c>default: true</c>.</summary>
    public Policy Default { get; }

    /// <summary>The policy with <paramref name="id"/>, or null.</summary>
    public Policy? Find(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return _byId.GetValueOrDefault(id);
    }

    /// <summary>The taxonomy with <paramref name="id"/>, or null.</summary>
    public HazardTaxonomy? FindTaxonomy(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return _taxonomies.GetValueOrDefault(id);
    }

    /// <summary>
    /// The policy for a request: the route's explicit policy id when it has one; otherwise the first policy,
    /// in <see cref="Policies"/> order, whose <c>applies_to</c> matches; otherwise <see cref="Default"/>.
    /// </summary>
    /// <exception cref="KeyNotFoundException"><paramref name="explicitPolicyId"/> names no policy (list it in
    /// <see cref="PolicyLoadOptions.RequiredPolicyIds"/> so that no snapshot without it is ever accepted).</exception>
    public Policy Resolve(string? tenant, string? model, string? routeId, string? explicitPolicyId = null)
    {
        if (explicitPolicyId is not null)
        {
            return Find(explicitPolicyId)
                ?? throw new KeyNotFoundException($"No policy '{explicitPolicyId}' in policy version {Version}.");
        }

        foreach (var policy in Policies)
        {
            if (policy.AppliesTo.Matches(tenant, model, routeId))
            {
                return policy;
            }
        }

        return Default;
    }

    /// <summary>The shadow policy of <paramref name="policy"/>, or null when it has none.</summary>
    public Policy? ShadowOf(Policy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return policy.Shadow is null ? null : Find(policy.Shadow);
    }

    /// <summary>
    /// Problems that depend on the model loaded at run time, one per policy and category, at the line that enables
    /// the category. With a known <paramref name="variant"/>: each enabled category it was not trained on (S14 with
    /// Llama Guard 3 1B), which its prompts leave out, so that category is not checked. With
    /// <see cref="GuardModelVariant.Unknown"/>: each enabled category that not every variant knows, which is sent
    /// although the model may never have seen it.
    /// </summary>
    public IReadOnlyList<FileDiagnostic> Warnings(GuardModelVariant variant)
    {
        ArgumentNullException.ThrowIfNull(variant);
        return [.. Policies.SelectMany(policy => policy.ModelWarnings(variant))];
    }
}
