using Guardrail.Auditing;

namespace Guardrail.Audit.Labelling;

/// <summary>A reviewer's label for one decision. A later label replaces an earlier one.</summary>
public sealed record AuditLabelRequest
{
    public const int MaxReviewerLength = 200;
    public const int MaxNoteLength = 4_000;
    public const int MaxCategories = 32;

    public required AuditLabel Label { get; init; }

    /// <summary>Who labelled; required, at most <see cref="MaxReviewerLength"/> characters.</summary>
    public required string Reviewer { get; init; }

    /// <summary>Free text, at most <see cref="MaxNoteLength"/> characters.</summary>
    public string? Note { get; init; }

    /// <summary>For <see cref="AuditLabel.FalseNegative"/> only: the categories the content actually violates (may be
    /// empty when the reviewer cannot name one). Codes are letters and digits, as in <c>S1</c>.</summary>
    public IReadOnlyList<string> Categories { get; init; } = [];

    /// <summary>Every problem with this label; empty when it can be stored.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(Label))
        {
            errors.Add("label must be one of confirmed, false_positive, false_negative.");
        }

        if (string.IsNullOrWhiteSpace(Reviewer))
        {
            errors.Add("reviewer is required.");
        }
        else if (Reviewer.Length > MaxReviewerLength)
        {
            errors.Add($"reviewer is longer than {MaxReviewerLength} characters.");
        }

        if (Note is { Length: > MaxNoteLength })
        {
            errors.Add($"note is longer than {MaxNoteLength} characters.");
        }

        if (Categories.Count > 0 && Label != AuditLabel.FalseNegative)
        {
            errors.Add("categories can only be given with a false_negative label; the other labels keep or clear the decision's own.");
        }

        if (Categories.Count > MaxCategories)
        {
            errors.Add($"at most {MaxCategories} categories.");
        }

        foreach (var code in Categories)
        {
            if (string.IsNullOrEmpty(code) || code.Length > 16 || !code.All(char.IsAsciiLetterOrDigit))
            {
                errors.Add($"category '{code}' is not a category code (letters and digits, up to 16, such as S1).");
            }
        }

        return errors;
    }
}
