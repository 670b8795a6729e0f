using Guardrail.Auditing;
using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.Policies;

namespace Guardrail.Audit.Tests.Auditing;

public sealed class AuditNamesTests
{
    [Fact]
    public void ToWire_EveryValue_ParsesBack()
    {
        Assert.All(Enum.GetValues<CheckDirection>(), v => Assert.True(AuditNames.TryParseDirection(v.ToWire(), out var p) && p == v));
        Assert.All(Enum.GetValues<GuardOutcome>(), v => Assert.True(AuditNames.TryParseVerdict(v.ToWire(), out var p) && p == v));
        Assert.All(Enum.GetValues<ModerationAction>(), v => Assert.True(AuditNames.TryParseAction(v.ToWire(), out var p) && p == v));
        Assert.All(Enum.GetValues<AuditLabel>(), v => Assert.True(AuditNames.TryParseLabel(v.ToWire(), out var p) && p == v));
        Assert.All(Enum.GetValues<ContentRetention>(), v => Assert.True(AuditNames.TryParseRetention(v.ToWire(), out var p) && p == v));
    }

    [Theory]
    [InlineData("false_positive", true)]
    [InlineData(" FALSE_POSITIVE ", true)]
    [InlineData("FalsePositive", false)]
    [InlineData("1", false)]
    [InlineData(null, false)]
    public void TryParseLabel_Text_AcceptsOnlyWireNames(string? text, bool expected)
    {
        Assert.Equal(expected, AuditNames.TryParseLabel(text, out _));
    }
}
