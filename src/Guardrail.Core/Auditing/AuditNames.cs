using System.Diagnostics.CodeAnalysis;
using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.Policies;

namespace Guardrail.Auditing;

/// <summary>The wire names of the audit enums, as stored, exported and accepted by the CLI and the admin API.</summary>
/// <remarks>Stable strings rather than enum numbers, so that a reordered enum cannot change stored data.</remarks>
public static class AuditNames
{
    public static string ToWire(this CheckDirection value) => value switch
    {
        CheckDirection.Prompt => "prompt",
        CheckDirection.Response => "response",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, message: null),
    };

    public static string ToWire(this GuardOutcome value) => value switch
    {
        GuardOutcome.Safe => "safe",
        GuardOutcome.Unsafe => "unsafe",
        GuardOutcome.Error => "error",
        GuardOutcome.NotChecked => "not_checked",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, message: null),
    };

    public static string ToWire(this ModerationAction value) => value switch
    {
        ModerationAction.Allow => "allow",
        ModerationAction.Flag => "flag",
        ModerationAction.Block => "block",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, message: null),
    };

    public static string ToWire(this AuditLabel value) => value switch
    {
        AuditLabel.Confirmed => "confirmed",
        AuditLabel.FalsePositive => "false_positive",
        AuditLabel.FalseNegative => "false_negative",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, message: null),
    };

    public static string ToWire(this ContentRetention value) => value switch
    {
        ContentRetention.Full => "full",
        ContentRetention.Redacted => "redacted",
        ContentRetention.Hash => "hash",
        ContentRetention.None => "none",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, message: null),
    };

    public static bool TryParseDirection([NotNullWhen(true)] string? text, out CheckDirection value) =>
        TryParse(text, out value);

    public static bool TryParseVerdict([NotNullWhen(true)] string? text, out GuardOutcome value) =>
        TryParse(text, out value);

    public static bool TryParseAction([NotNullWhen(true)] string? text, out ModerationAction value) =>
        TryParse(text, out value);

    public static bool TryParseLabel([NotNullWhen(true)] string? text, out AuditLabel value) =>
        TryParse(text, out value);

    public static bool TryParseRetention([NotNullWhen(true)] string? text, out ContentRetention value) =>
        TryParse(text, out value);

    private static bool TryParse<T>([NotNullWhen(true)] string? text, out T value)
        where T : struct, Enum
    {
        if (text is not null)
        {
            foreach (var candidate in Enum.GetValues<T>())
            {
                if (string.Equals(Wire(candidate), text.Trim(), StringComparison.OrdinalIgnoreCase))
                {
                    value = candidate;
                    return true;
                }
            }
        }

        value = default;
        return false;
    }

    private static string Wire<T>(T value)
        where T : struct, Enum => value switch
        {
            CheckDirection d => d.ToWire(),
            GuardOutcome v => v.ToWire(),
            ModerationAction a => a.ToWire(),
            AuditLabel l => l.ToWire(),
            ContentRetention r => r.ToWire(),
            _ => throw new ArgumentOutOfRangeException(nameof(value), value, message: null),
        };
}
