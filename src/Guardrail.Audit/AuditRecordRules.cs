using Guardrail.Auditing;
using Guardrail.Classification;

namespace Guardrail.Audit;

/// <summary>The rules a record's newer, optional fields follow, shared by the store's validation and the query's.</summary>
internal static class AuditRecordRules
{
    /// <summary>A W3C trace id: 32 hexadecimal digits, not all zero.</summary>
    public static bool IsTraceId(string text) =>
        text.Length == 32 && text.AsSpan().ContainsAnyExcept("0123456789abcdefABCDEF") is false && text.AsSpan().ContainsAnyExcept('0');

    /// <summary>Problems with <paramref name="record"/>'s trace id and refusal; none when both are absent.</summary>
    public static IEnumerable<string> Problems(AuditRecord record)
    {
        if (record.TraceId is { } traceId && !IsTraceId(traceId))
        {
            yield return $"trace id '{traceId}' is not a W3C trace id (32 hexadecimal digits).";
        }

        if (record.Refusal is not null != (record.Verdict == GuardOutcome.NotChecked))
        {
            yield return "a record has a refusal exactly when its verdict is not_checked.";
        }

        if (record.Refusal is "")
        {
            yield return "refusal must not be empty.";
        }
    }

    /// <summary>A refused request was refused before its body was read and before a policy was chosen, so its model
    /// and policy may be empty; every checked request has both.</summary>
    public static bool NeedsModelAndPolicy(AuditRecord record) => record.Refusal is null;
}
