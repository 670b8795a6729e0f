using Guardrail.Audit.Tests.TestSupport;
using Guardrail.Auditing;

namespace Guardrail.Audit.Tests.Auditing;

public sealed class AuditIdGeneratorTests
{
    [Fact]
    public void Next_SameMillisecond_StrictlyIncreasing()
    {
        var generator = new AuditIdGenerator(new FakeTimeProvider(AuditRecords.Epoch));

        var ids = Enumerable.Range(0, 10_000).Select(_ => generator.Next()).ToArray();

        Assert.All(ids, id => Assert.Equal(AuditIdGenerator.Length, id.Length));
        Assert.Equal(ids, ids.Order(StringComparer.Ordinal));
        Assert.Equal(ids.Length, ids.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Next_ClockStepsBack_StillIncreasing()
    {
        var clock = new FakeTimeProvider(AuditRecords.Epoch.AddYears(1));
        var generator = new AuditIdGenerator(clock);
        var before = generator.Next();
        var earlier = new AuditIdGenerator(new FakeTimeProvider(AuditRecords.Epoch));

        var after = earlier.Next();

        Assert.True(string.CompareOrdinal(before, after) < 0);
    }

    [Fact]
    public void Next_LaterTime_SortsAfterAndCarriesItsTime()
    {
        var clock = new FakeTimeProvider(AuditRecords.Epoch.AddYears(2));
        var generator = new AuditIdGenerator(clock);
        var first = generator.Next();
        clock.Advance(TimeSpan.FromMilliseconds(5));

        var second = generator.Next();

        Assert.True(string.CompareOrdinal(first, second) < 0);
        Assert.True(AuditIdGenerator.TryGetTime(second, out var time));
        Assert.Equal(clock.GetUtcNow(), time);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("01ARZ3NDEKTSV4RRFFQ69G5FA")]
    [InlineData("01ARZ3NDEKTSV4RRFFQ69G5FAU")] // U is not in Crockford's alphabet
    public void TryGetTime_NotAnId_ReturnsFalse(string? text)
    {
        Assert.False(AuditIdGenerator.TryGetTime(text, out _));
    }
}
