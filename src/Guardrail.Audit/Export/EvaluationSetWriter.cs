using Guardrail.Auditing;
using Guardrail.Classification;

namespace Guardrail.Audit.Export;

/// <summary>Writes labelled decisions as an evaluation set: the reviewer's judgement becomes the expected answer.</summary>
/// <remarks>
/// How the expected answer is derived from the label:
/// <list type="bullet">
/// <item><c>confirmed</c>: as decided: the recorded verdict and categories.</item>
/// <item><c>false_positive</c>: <c>safe</c>, no categories.</item>
/// <item><c>false_negative</c>: <c>unsafe</c>, with the categories the reviewer named (possibly none).</item>
/// </list>
/// Left out (counted as skipped): unlabelled decisions, decisions whose content was not kept (hash or none
/// retention: there is nothing to evaluate on), and confirmed decisions whose verdict was an error.
/// Each line: <c>{"id","direction","conversation","expected":{"verdict","categories"},"label","decided":{"verdict",
/// "action","categories"},"policy_id","policy_version","content_retention"}</c>.
/// </remarks>
internal static class EvaluationSetWriter
{
    /// <summary>Writes the record's line; false when it is left out.</summary>
    public static async Task<bool> TryWriteAsync(TextWriter output, AuditRecord r, CancellationToken cancellationToken)
    {
        if (r.Label is not { } label || r.Content is null || !TryDeriveExpected(r, label, out var verdict, out var categories))
        {
            return false;
        }

        await AuditJsonLinesWriter.WriteLineAsync(output, json =>
        {
            json.WriteStartObject();
            json.WriteString("id", r.Id);
            json.WriteString("direction", r.Direction.ToWire());
            json.WriteString("conversation", r.Content);
            json.WriteStartObject("expected");
            json.WriteString("verdict", verdict.ToWire());
            AuditJsonLinesWriter.WriteCodes(json, "categories", categories);
            json.WriteEndObject();
            json.WriteString("label", label.ToWire());
            json.WriteStartObject("decided");
            json.WriteString("verdict", r.Verdict.ToWire());
            json.WriteString("action", r.Action.ToWire());
            AuditJsonLinesWriter.WriteCodes(json, "categories", r.Categories);
            json.WriteEndObject();
            json.WriteString("policy_id", r.PolicyId);
            json.WriteString("policy_version", r.PolicyVersion);
            json.WriteString("content_retention", (r.ContentRetention ?? ContentRetention.Full).ToWire());
            json.WriteEndObject();
        }, cancellationToken).ConfigureAwait(false);
        return true;
    }

    internal static bool TryDeriveExpected(AuditRecord r, AuditLabel label, out GuardOutcome verdict, out IReadOnlyList<string> categories)
    {
        // A request refused before any check (a rate limit) has nothing to evaluate a classifier on.
        switch (r.Verdict == GuardOutcome.NotChecked ? default(AuditLabel?) : label)
        {
            case AuditLabel.Confirmed when r.Verdict != GuardOutcome.Error:
                verdict = r.Verdict;
                categories = r.Verdict == GuardOutcome.Unsafe ? r.Categories : [];
                return true;
            case AuditLabel.FalsePositive:
                verdict = GuardOutcome.Safe;
                categories = [];
                return true;
            case AuditLabel.FalseNegative:
                verdict = GuardOutcome.Unsafe;
                categories = r.LabelCategories;
                return true;
            default:
                verdict = default;
                categories = [];
                return false;
        }
    }
}
