using Guardrail.Auditing;

namespace Guardrail.Audit.Tests.Auditing;

public sealed class AuditNamesTests
{
    [Fact]
    public void ToWire_EveryValue_ParsesBack()
    {
        Assert.All(Enum.GetValues<AuditDirection>(), v => Assert.True(AuditNames.TryParseDirection(v.ToWire(), out var p) && p == v));
        Assert.All(Enum.GetValues<AuditVerdict>(), v => Assert.True(AuditNames.TryParseVerdict(v.ToWire(), out var p) && p == v));
        Assert.All(Enum.GetValues<AuditAction>(), v => Assert.True(AuditNames.TryParseAction(v.ToWire(), out var p) && p == v));
        Assert.All(Enum.GetValues<AuditLabel>(), v => Assert.True(AuditNames.TryParseLabel(v.ToWire(), out var p) && p == v));
        Assert.All(Enum.GetValues<AuditContentRetention>(), v => Assert.True(AuditNames.TryParseRetention(v.ToWire(), out var p) && p == v));
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
