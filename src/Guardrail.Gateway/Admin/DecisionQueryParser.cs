using System.Globalization;
using Guardrail.Audit.Querying;
using Guardrail.Auditing;
using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.Policies;

namespace Guardrail.Gateway.Admin;

/// <summary>
/// Reads the admin API's query string into an <see cref="AuditQuery"/>, collecting every problem with the name of
/// the parameter at fault. Unknown parameters are problems too: a misspelt filter (<c>acton=block</c>) would otherwise
/// return every decision and look like an answer. An empty value means the filter is not set, as an empty form field does.
/// </summary>
internal static class DecisionQueryParser
{
    public const int MaxTextLength = 1_000;

    /// <summary>Filters shared by listing, stats and export.</summary>
    public static readonly IReadOnlyList<string> FilterParameters =
        ["since", "until", "tenant", "direction", "action", "verdict", "category", "policy", "label", "unlabelled", "search"];

    /// <summary>Listing adds the keyset cursor and the page size.</summary>
    public static readonly IReadOnlyList<string> PagingParameters = ["after", "limit"];

    /// <summary>Parses <paramref name="query"/>; <paramref name="paging"/> allows <c>after</c> and <c>limit</c>, and
    /// <paramref name="extra"/> names parameters the caller reads itself.</summary>
    public static ParsedDecisionQuery Parse(IQueryCollection query, bool paging, IReadOnlyCollection<string>? extra = null)
    {
        var problems = new List<(string Param, string Message)>();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in query)
        {
            var known = FilterParameters.Contains(name, StringComparer.Ordinal) || (paging && PagingParameters.Contains(name, StringComparer.Ordinal)) || (extra?.Contains(name, StringComparer.Ordinal) ?? false);
            if (!known)
            {
                var accepted = FilterParameters.Concat(paging ? PagingParameters : []).Concat(extra ?? []);
                problems.Add((name, $"Unknown parameter '{name}'; this endpoint accepts {string.Join(", ", accepted)}."));
            }
            else if (value.Count != 1)
            {
                problems.Add((name, $"Parameter '{name}' is given {value.Count} times; give it once."));
            }
            else if (value[0] is { Length: > 0 } text)
            {
                if (text.Length > MaxTextLength)
                {
                    problems.Add((name, $"Parameter '{name}' is longer than {MaxTextLength} characters."));
                }
                else
                {
                    values[name] = text;
                }
            }
        }

        var result = new AuditQuery
        {
            Since = Time("since"),
            Until = Time("until"),
            Tenant = Get("tenant"),
            Direction = Enum<CheckDirection>("direction", AuditNames.TryParseDirection, "prompt, response"),
            Action = Enum<ModerationAction>("action", AuditNames.TryParseAction, "allow, flag, block"),
            Verdict = Enum<GuardOutcome>("verdict", AuditNames.TryParseVerdict, "safe, unsafe, error"),
            Category = Category(),
            PolicyId = Get("policy"),
            Label = Enum<AuditLabel>("label", AuditNames.TryParseLabel, "false_positive, false_negative, confirmed"),
            UnlabelledOnly = Boolean("unlabelled"),
            Search = Get("search"),
            After = After(),
            Limit = Limit(),
        };

        if (result.Since is { } since && result.Until is { } until && since >= until)
        {
            problems.Add(("since", $"since ({since:O}) must be before until ({until:O})."));
        }

        if (result.Label is not null && result.UnlabelledOnly)
        {
            problems.Add(("label", "label and unlabelled=true exclude each other: choose one."));
        }

        return new ParsedDecisionQuery(result, problems);

        string? Get(string name) => values.GetValueOrDefault(name)?.Trim() is { Length: > 0 } text ? text : null;

        DateTimeOffset? Time(string name)
        {
            if (Get(name) is not { } text)
            {
                return null;
            }

            // ISO 8601; a time without an offset is UTC, as every time the API returns is.
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
            {
                return time;
            }

            problems.Add((name, $"Parameter '{name}' is '{text}': use an ISO 8601 time such as 2026-01-31T12:00:00Z."));
            return null;
        }

        T? Enum<T>(string name, TryParse<T> parse, string allowed)
            where T : struct
        {
            if (Get(name) is not { } text)
            {
                return null;
            }

            if (parse(text, out var parsed))
            {
                return parsed;
            }

            problems.Add((name, $"Parameter '{name}' is '{text}': use one of {allowed}."));
            return null;
        }

        string? Category()
        {
            if (Get("category") is not { } code)
            {
                return null;
            }

            if (code.Length <= 16 && code.All(char.IsAsciiLetterOrDigit))
            {
                // Codes are stored as the taxonomy writes them (S1); accept s1 as well.
                return code.ToUpperInvariant();
            }

            problems.Add(("category", $"Parameter 'category' is '{code}': use a category code such as S1."));
            return null;
        }

        bool Boolean(string name)
        {
            if (Get(name) is not { } text)
            {
                return false;
            }

            if (text is "true" or "1")
            {
                return true;
            }

            if (text is not ("false" or "0"))
            {
                problems.Add((name, $"Parameter '{name}' is '{text}': use true or false."));
            }

            return false;
        }

        string? After()
        {
            if (Get("after") is not { } after)
            {
                return null;
            }

            if (AuditIdGenerator.TryGetTime(after, out _))
            {
                return after;
            }

            problems.Add(("after", $"Parameter 'after' is '{after}': pass the next_cursor of the previous page."));
            return null;
        }

        int Limit()
        {
            const int Default = 50;
            if (!paging || Get("limit") is not { } text)
            {
                return Default;
            }

            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit is >= 1 and <= AuditQuery.MaxLimit)
            {
                return limit;
            }

            problems.Add(("limit", $"Parameter 'limit' is '{text}': use 1 to {AuditQuery.MaxLimit}."));
            return Default;
        }
    }

    internal delegate bool TryParse<T>(string? text, out T value);
}

/// <summary>A parsed query and every problem found; the query is only meaningful when there are none.</summary>
internal sealed record ParsedDecisionQuery(AuditQuery Query, IReadOnlyList<(string Param, string Message)> Problems)
{
    public AdminErrorResult? Error => Problems.Count > 0 ? AdminErrorResult.Invalid(Problems) : null;
}
