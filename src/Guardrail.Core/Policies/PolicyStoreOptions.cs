namespace Guardrail.Policies;

/// <summary>Where <see cref="PolicyStore"/> reads from and how it notices changes.</summary>
public sealed record PolicyStoreOptions
{
    /// <summary>The directory of policy files (<c>policies/</c>).</summary>
    public required string PoliciesDirectory { get; init; }

    /// <summary>The directory of taxonomy files (<c>taxonomy/</c>).</summary>
    public required string TaxonomyDirectory { get; init; }

    /// <summary>
    /// How long the files must stay quiet after a change event before they are read: editors and deployment
    /// tools write in several steps, and reading between them would reject a half-written set. Default 500 ms;
    /// zero to 1 minute.
    /// </summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How often the files are read and hashed even without a change event, because file system watchers miss
    /// events on network and container file systems and with some editors. Default 10 s; zero turns polling off.
    /// </summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether to use file system watchers (default true); polling alone still reloads.</summary>
    public bool Watch { get; init; } = true;

    /// <summary>Requirements every loaded set must meet (policy ids routes name).</summary>
    public PolicyLoadOptions Load { get; init; } = new();

    /// <summary>Every problem with these options; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(PoliciesDirectory))
        {
            problems.Add("PoliciesDirectory is required");
        }

        if (string.IsNullOrWhiteSpace(TaxonomyDirectory))
        {
            problems.Add("TaxonomyDirectory is required");
        }

        if (Debounce < TimeSpan.Zero || Debounce > TimeSpan.FromMinutes(1))
        {
            problems.Add("Debounce must be from 0 to 1 minute");
        }

        if (PollInterval < TimeSpan.Zero || PollInterval > TimeSpan.FromHours(1))
        {
            problems.Add("PollInterval must be from 0 (off) to 1 hour");
        }

        return problems;
    }
}
