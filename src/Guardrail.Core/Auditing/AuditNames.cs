using System.Diagnostics.CodeAnalysis;

namespace Guardrail.Auditing;

/// <summary>The wire names of the audit enums, as stored, exported and accepted by the CLI and the admin API.</summary>
/// <remarks>Stable strings rather than enum numbers, so that a reordered enum cannot change stored data.</remarks>
public static class AuditNames
{
    public static string ToWire(this AuditDirection value) => value switch
    {
        AuditDirection.Prompt => "prompt",
        AuditDirection.Response => "response",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, message: null),
    };

    public static string ToWire(this AuditVerdict value) => value switch
    {
        AuditVerdict.Safe => "safe",
        AuditVerdict.Unsafe => "unsafe",
        AuditVerdict.Error => "error",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, message: null),
    };

    public static string ToWire(this AuditAction value) => value switch
    {
        AuditAction.Allow => "allow",
        AuditAction.Flag => "flag",
        AuditAction.Block => "block",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, message: null),
    };

    public static string ToWire(this AuditLabel value) => value switch
    {
        AuditLabel.Confirmed => "confirmed",
        AuditLabel.FalsePositive => "false_positive",
        AuditLabel.FalseNegative => "false_negative",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, message: null),
    };

    public static string ToWire(this AuditContentRetention value) => value switch
    {
        AuditContentRetention.Full => "full",
        AuditContentRetention.Redacted => "redacted",
        AuditContentRetention.Hash => "hash",
        AuditContentRetention.None => "none",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, message: null),
    };

    public static bool TryParseDirection([NotNullWhen(true)] string? text, out AuditDirection value) =>
        TryParse(text, out value);

    public static bool TryParseVerdict([NotNullWhen(true)] string? text, out AuditVerdict value) =>
        TryParse(text, out value);

    public static bool TryParseAction([NotNullWhen(true)] string? text, out AuditAction value) =>
        TryParse(text, out value);

    public static bool TryParseLabel([NotNullWhen(true)] string? text, out AuditLabel value) =>
        TryParse(text, out value);

    public static bool TryParseRetention([NotNullWhen(true)] string? text, out AuditContentRetention value) =>
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
            AuditDirection d => d.ToWire(),
            AuditVerdict v => v.ToWire(),
            AuditAction a => a.ToWire(),
            AuditLabel l => l.ToWire(),
            AuditContentRetention r => r.ToWire(),
            _ => throw new ArgumentOutOfRangeException(nameof(value), value, message: null),
        };
}
