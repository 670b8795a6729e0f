using System.Globalization;
using Guardrail.Auditing;

namespace Guardrail.Audit.Querying;

/// <summary>
/// The audit query language, read the same way for the admin API (query string names such as <c>key_id</c>) and the
/// CLI (option names such as <c>--key-id</c>): named values in, an <see cref="AuditQuery"/> out, and every problem
/// named by the parameter at fault. <c>docs/review.md</c> describes the language.
/// </summary>
/// <remarks>
/// An empty value means the filter is not set, as an empty form field does. Unknown parameters are problems: a
/// misspelt filter (<c>acton=block</c>) would otherwise return every decision and look like an answer. Wire names go
/// through <see cref="AuditNames"/> (case-insensitive, so the enums' names appear nowhere here), and category codes
/// are upper-cased, as the taxonomy writes them.
/// </remarks>
public static class AuditQueryParser
{
    /// <summary>Longest value a parameter may have, in characters.</summary>
    public const int MaxValueLength = 1_000;

    /// <summary>Page size of a listing when no <c>limit</c> is given.</summary>
    public const int DefaultLimit = 50;

    /// <summary>Longest category code accepted.</summary>
    public const int MaxCategoryLength = 16;

    private const string SinceName = "since";
    private const string UntilName = "until";
    private const string LabelName = "label";
    private const string UnlabelledName = "unlabelled";
    private const string AfterName = "after";
    private const string LimitName = "limit";
    private const string SortName = "sort";

    // Canonical names are the query string's; the CLI's are derived from them (Spell).
    private static readonly string[] FilterNames =
        [SinceName, UntilName, "tenant", "key_id", "route", "model", "direction", "action", "verdict", "category", "policy", "trace_id", "classifier_endpoint", "refusal", LabelName, UnlabelledName, "search"];

    private static readonly string[] ListNames = [.. FilterNames, AfterName, LimitName, SortName];

    private static readonly string[] ExportNames = [.. FilterNames, LimitName, SortName];

    /// <summary>The parameters a query for <paramref name="use"/> takes, spelled for <paramref name="naming"/>.</summary>
    public static IReadOnlyList<string> ParameterNames(AuditQueryUse use, AuditQueryNaming naming) =>
        [.. Names(use).Select(name => Spell(name, naming))];

    /// <summary>A parameter's name as <paramref name="naming"/> spells it: <c>key_id</c> is <c>--key-id</c> on the
    /// command line.</summary>
    public static string Spell(string name, AuditQueryNaming naming)
    {
        ArgumentNullException.ThrowIfNull(name);
        return naming == AuditQueryNaming.CommandLine ? "--" + name.Replace('_', '-') : name;
    }

    /// <summary>Reads one value per parameter, as the CLI has them; a null or empty value is a parameter not set.</summary>
    /// <inheritdoc cref="Parse(IEnumerable{KeyValuePair{string, IReadOnlyList{string}}}, AuditQueryUse, AuditQueryNaming, TimeProvider, IReadOnlyCollection{string})"/>
    public static AuditQueryParseResult Parse(
        IEnumerable<KeyValuePair<string, string?>> parameters,
        AuditQueryUse use,
        AuditQueryNaming naming,
        TimeProvider clock,
        IReadOnlyCollection<string>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return Parse(parameters.Select(p => KeyValuePair.Create(p.Key, (IReadOnlyList<string?>)[p.Value])), use, naming, clock, extra);
    }

    /// <summary>Reads named values, each given any number of times (a query string may repeat a name: that is a
    /// problem), into a query for <paramref name="use"/>.</summary>
    /// <param name="parameters">Names as <paramref name="naming"/> spells them, with their values.</param>
    /// <param name="use">What the query is for; it decides which parameters beyond the filters are accepted.</param>
    /// <param name="naming">How names are spelled, in the input and in the problems.</param>
    /// <param name="clock">The clock that relative ages such as <c>7d</c> count back from.</param>
    /// <param name="extra">Further names the caller reads itself (such as <c>format</c>): accepted, checked to be
    /// given once, and returned in <see cref="AuditQueryParseResult.Extra"/>.</param>
    public static AuditQueryParseResult Parse(
        IEnumerable<KeyValuePair<string, IReadOnlyList<string?>>> parameters,
        AuditQueryUse use,
        AuditQueryNaming naming,
        TimeProvider clock,
        IReadOnlyCollection<string>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(clock);
        var reader = new Reader(naming, clock.GetUtcNow());
        reader.Collect(parameters, Names(use), extra ?? []);

        var query = new AuditQuery
        {
            Since = reader.Time(SinceName),
            Until = reader.Time(UntilName),
            Tenant = reader.Text("tenant"),
            KeyId = reader.Text("key_id"),
            Route = reader.Text("route"),
            Model = reader.Text("model"),
            Direction = reader.Choice("direction", "prompt, response", AuditNames.TryParseDirection(reader.Text("direction"), out var direction)) ? direction : null,
            Action = reader.Choice("action", "allow, flag, block", AuditNames.TryParseAction(reader.Text("action"), out var action)) ? action : null,
            Verdict = reader.Choice("verdict", "safe, unsafe, error, not_checked", AuditNames.TryParseVerdict(reader.Text("verdict"), out var verdict)) ? verdict : null,
            Category = reader.Category("category"),
            PolicyId = reader.Text("policy"),
            TraceId = reader.TraceId("trace_id"),
            ClassifierEndpoint = reader.Text("classifier_endpoint"),
            Refusal = reader.Text("refusal"),
            Search = reader.Text("search"),
        };

        // label=none (the CLI's form) and unlabelled=true (the API's) say the same; both are accepted on both sides.
        var labelText = reader.Text(LabelName);
        var labelIsNone = labelText is not null &&
            (string.Equals(labelText, "none", StringComparison.OrdinalIgnoreCase) || string.Equals(labelText, UnlabelledName, StringComparison.OrdinalIgnoreCase));
        var unlabelled = reader.Boolean(UnlabelledName);
        query = query with
        {
            Label = !labelIsNone && reader.Choice(LabelName, "false_positive, false_negative, confirmed, none", AuditNames.TryParseLabel(labelText, out var label)) ? label : null,
            UnlabelledOnly = labelIsNone || unlabelled,
        };

        long? maxRecords = null;
        switch (use)
        {
            case AuditQueryUse.List:
                query = query with { After = reader.Cursor(AfterName), Limit = reader.PageSize(LimitName), Order = reader.Order(SortName) };
                break;
            case AuditQueryUse.Export:
                query = query with { Order = reader.Order(SortName) };
                maxRecords = reader.MaxRecords(LimitName);
                break;
            case AuditQueryUse.Stats:
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(use), use, message: null);
        }

        if (query.Since is { } since && query.Until is { } until && since >= until)
        {
            reader.Problem(SinceName, $"{reader.Ref(SinceName)} ({since:O}) must be before {reader.Ref(UntilName)} ({until:O}).");
        }

        if (query.Label is not null && unlabelled)
        {
            reader.Problem(LabelName, $"{reader.Ref(LabelName)} and {reader.Ref(UnlabelledName)} exclude each other: choose one.");
        }

        return new AuditQueryParseResult { Query = query, MaxRecords = maxRecords, Extra = reader.Extra, Problems = reader.Problems };
    }

    private static string[] Names(AuditQueryUse use) => use switch
    {
        AuditQueryUse.List => ListNames,
        AuditQueryUse.Export => ExportNames,
        AuditQueryUse.Stats => FilterNames,
        _ => throw new ArgumentOutOfRangeException(nameof(use), use, message: null),
    };

    /// <summary>The values of one parse and the problems found in them, by canonical name.</summary>
    private sealed class Reader(AuditQueryNaming naming, DateTimeOffset now)
    {
        private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
        private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
        private readonly HashSet<string> _repeated = new(StringComparer.Ordinal);
        private readonly List<AuditQueryProblem> _problems = [];

        public Dictionary<string, string> Extra { get; } = new(StringComparer.Ordinal);

        public List<AuditQueryProblem> Problems => _problems;

        public void Collect(IEnumerable<KeyValuePair<string, IReadOnlyList<string?>>> parameters, string[] names, IReadOnlyCollection<string> extra)
        {
            foreach (var (given, values) in parameters)
            {
                var isExtra = extra.Contains(given, StringComparer.Ordinal);
                var name = isExtra ? given : names.FirstOrDefault(n => string.Equals(Spell(n, naming), given, StringComparison.Ordinal));
                if (name is null)
                {
                    var accepted = string.Join(", ", names.Select(n => Spell(n, naming)).Concat(extra));
                    _problems.Add(new(given, $"Unknown parameter '{given}': use one of {accepted}."));
                    continue;
                }

                var count = values?.Count ?? 0;
                if (!_seen.Add(given) || count > 1)
                {
                    if (_repeated.Add(given))
                    {
                        _problems.Add(new(given, $"{Subject(given)} is given more than once; give it once."));
                    }

                    _values.Remove(name);
                    Extra.Remove(name);
                    continue;
                }

                if (count == 0 || values![0]?.Trim() is not { Length: > 0 } text)
                {
                    continue;
                }

                if (text.Length > MaxValueLength)
                {
                    _problems.Add(new(given, $"{Subject(given)} is longer than {MaxValueLength} characters."));
                }
                else if (isExtra)
                {
                    Extra[name] = text;
                }
                else
                {
                    _values[name] = text;
                }
            }
        }

        /// <summary>A name as the caller spells it, inside a sentence.</summary>
        public string Ref(string name) => Spell(name, naming);

        public void Problem(string name, string message) => _problems.Add(new(Spell(name, naming), message));

        public string? Text(string name) => _values.GetValueOrDefault(name);

        /// <summary>False when the parameter is not set; a problem when it is set but <paramref name="parsed"/> is
        /// false.</summary>
        public bool Choice(string name, string allowed, bool parsed)
        {
            if (Text(name) is not { } text)
            {
                return false;
            }

            if (!parsed)
            {
                Invalid(name, text, $"use one of {allowed}.");
            }

            return parsed;
        }

        public DateTimeOffset? Time(string name)
        {
            if (Text(name) is not { } text)
            {
                return null;
            }

            switch (TryParseAge(text, now, out var ago))
            {
                case AgeParse.Parsed:
                    return ago;
                case AgeParse.TooLarge:
                    Invalid(name, text, "that age reaches back before the year 1.");
                    return null;
            }

            // ISO 8601; a time without an offset is UTC, as every time the API returns is.
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
            {
                return time;
            }

            Invalid(name, text, "use an ISO 8601 time such as 2026-01-31T12:00:00Z, or an age such as 15m, 2h or 7d.");
            return null;
        }

        public string? Category(string name)
        {
            if (Text(name) is not { } code)
            {
                return null;
            }

            if (code.Length <= MaxCategoryLength && code.All(char.IsAsciiLetterOrDigit))
            {
                // Codes are stored as the taxonomy writes them (S1); s1 means the same.
                return code.ToUpperInvariant();
            }

            Invalid(name, code, "use a category code such as S1.");
            return null;
        }

        /// <summary>A W3C trace id, as the store's query validation demands: refused here, with the parameter
        /// named, rather than by the store as a failure.</summary>
        public string? TraceId(string name)
        {
            if (Text(name) is not { } id)
            {
                return null;
            }

            if (AuditRecordRules.IsTraceId(id))
            {
                return id;
            }

            Invalid(name, id, "use a W3C trace id: 32 hexadecimal digits, not all zero.");
            return null;
        }

        public bool Boolean(string name)
        {
            if (Text(name) is not { } text)
            {
                return false;
            }

            if (string.Equals(text, "true", StringComparison.OrdinalIgnoreCase) || text is "1")
            {
                return true;
            }

            if (!string.Equals(text, "false", StringComparison.OrdinalIgnoreCase) && text is not "0")
            {
                Invalid(name, text, "use true or false.");
            }

            return false;
        }

        public string? Cursor(string name)
        {
            if (Text(name) is not { } cursor)
            {
                return null;
            }

            if (AuditIdGenerator.TryGetTime(cursor, out _))
            {
                return cursor;
            }

            Invalid(name, cursor, "use a decision id: the next cursor the previous page ended with.");
            return null;
        }

        public int PageSize(string name)
        {
            if (Text(name) is not { } text)
            {
                return DefaultLimit;
            }

            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit is >= 1 and <= AuditQuery.MaxLimit)
            {
                return limit;
            }

            Invalid(name, text, $"use 1 to {AuditQuery.MaxLimit}.");
            return DefaultLimit;
        }

        public long? MaxRecords(string name)
        {
            if (Text(name) is not { } text)
            {
                return null;
            }

            // 0 exports nothing (a CSV gets its header): accepted, as the CLI always did.
            if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit))
            {
                return limit;
            }

            Invalid(name, text, "use a number of decisions, 0 or more.");
            return null;
        }

        public AuditSortOrder Order(string name)
        {
            switch (Text(name)?.ToLowerInvariant())
            {
                case null or "newest":
                    return AuditSortOrder.NewestFirst;
                case "oldest":
                    return AuditSortOrder.OldestFirst;
                default:
                    Invalid(name, Text(name)!, "use newest or oldest.");
                    return AuditSortOrder.NewestFirst;
            }
        }

        private void Invalid(string name, string value, string fix) =>
            Problem(name, $"{Subject(Spell(name, naming))} is '{value}': {fix}");

        /// <summary>The parameter as the subject of a sentence: <c>Parameter 'since'</c> in a query string,
        /// <c>--since</c> on the command line.</summary>
        private string Subject(string spelled) =>
            naming == AuditQueryNaming.CommandLine ? spelled : $"Parameter '{spelled}'";
    }

    private enum AgeParse
    {
        NotAnAge,
        Parsed,
        TooLarge,
    }

    /// <summary>An age such as <c>15m</c>: digits and one of s, m, h, d; the time that long before <paramref name="now"/>.</summary>
    private static AgeParse TryParseAge(string text, DateTimeOffset now, out DateTimeOffset time)
    {
        time = default;
        var unit = text[^1] switch
        {
            's' => TimeSpan.TicksPerSecond,
            'm' => TimeSpan.TicksPerMinute,
            'h' => TimeSpan.TicksPerHour,
            'd' => TimeSpan.TicksPerDay,
            _ => 0,
        };
        if (unit == 0 || text.Length < 2 || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            return AgeParse.NotAnAge;
        }

        // Counted in ticks so that no age can overflow: anything reaching back before the year 1 is refused.
        if (amount > (now.UtcTicks - DateTimeOffset.MinValue.UtcTicks) / unit)
        {
            return AgeParse.TooLarge;
        }

        time = now.AddTicks(-amount * unit);
        return AgeParse.Parsed;
    }
}
