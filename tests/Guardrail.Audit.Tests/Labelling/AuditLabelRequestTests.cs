using Guardrail.Audit.Labelling;
using Guardrail.Auditing;

namespace Guardrail.Audit.Tests.Labelling;

public sealed class AuditLabelRequestTests
{
    [Fact]
    public void Validate_ValidFalseNegativeWithCategories_NoErrors()
    {
        var request = new AuditLabelRequest { Label = AuditLabel.FalseNegative, Reviewer = "ana", Note = "n", Categories = ["S2", "S14"] };

        Assert.Empty(request.Validate());
    }

    [Fact]
    public void Validate_EverythingWrong_ListsEveryProblem()
    {
        var request = new AuditLabelRequest
        {
            Label = (AuditLabel)42,
            Reviewer = new string('r', AuditLabelRequest.MaxReviewerLength + 1),
            Note = new string('n', AuditLabelRequest.MaxNoteLength + 1),
            Categories = ["S1", "no spaces", ""],
        };

        var errors = request.Validate();

        Assert.Equal(6, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("label must be one of", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("reviewer is longer", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("note is longer", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("categories can only be given with a false_negative", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("category 'no spaces'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("category ''", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Validate_BlankReviewer_Required(string reviewer)
    {
        var errors = new AuditLabelRequest { Label = AuditLabel.Confirmed, Reviewer = reviewer }.Validate();

        Assert.Equal(["reviewer is required."], errors);
    }
}
