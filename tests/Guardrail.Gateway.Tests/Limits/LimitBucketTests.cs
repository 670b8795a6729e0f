using Guardrail.Gateway.Limits;

namespace Guardrail.Gateway.Tests.Limits;

/// <summary>The GCRA arithmetic every rate limit runs on, in process and in Redis alike.</summary>
public sealed class LimitBucketTests
{
    private const double Minute = 60_000;

    [Fact]
    public void Take_FullBucket_AllowsTheLimitThenRefusesWithTheTimeUntilOneReturns()
    {
        var bucket = new LimitBucket(3);
        double? tat = null;
        for (var i = 0; i < 3; i++)
        {
            var (allowed, next) = bucket.Take(tat, 1000, 1, force: false);
            Assert.True(allowed);
            tat = next;
        }

        var refused = bucket.Take(tat, 1000, 1, force: false);

        Assert.False(refused.Allowed);
        Assert.Equal(tat, refused.Tat);
        var state = bucket.State(refused.Tat, 1000, 1);
        Assert.Equal(new LimitState(3, 0, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(20)), state);
        Assert.True(bucket.Take(tat, 1000 + 20_000, 1, force: false).Allowed);
    }

    [Fact]
    public void Take_Forced_GoesIntoDebtThatLaterTakesWaitFor()
    {
        var bucket = new LimitBucket(100);

        var (allowed, tat) = bucket.Take(null, 0, 250, force: true);

        Assert.True(allowed);
        Assert.Equal(150_000, tat);
        Assert.Equal(0, bucket.State(tat, 0, 0).Remaining);
        Assert.False(bucket.Take(tat, 0, 0, force: false).Allowed);
        Assert.False(bucket.Take(tat, 89_000, 1, force: false).Allowed);
        Assert.True(bucket.Take(tat, 90_000, 0, force: false).Allowed);
        Assert.Equal(TimeSpan.FromSeconds(60), bucket.State(tat, 90_000, 0).Reset);
    }

    [Fact]
    public void State_PartlyUsed_ReportsRemainingAndTimeUntilFull()
    {
        var bucket = new LimitBucket(60);
        var (_, tat) = bucket.Take(null, Minute, 15, force: false);

        var state = bucket.State(tat, Minute + 5_000, 0);

        Assert.Equal(60 - 10, state.Remaining);
        Assert.Equal(TimeSpan.FromSeconds(10), state.Reset);
        Assert.Equal(TimeSpan.Zero, state.RetryAfter);
    }

    [Theory]
    [InlineData(20, "20ms")]
    [InlineData(1500, "1.5s")]
    [InlineData(60_000, "1m0s")]
    [InlineData(360_000, "6m0s")]
    [InlineData(61_250, "1m1.25s")]
    public void Duration_IsWrittenAsOpenAIWritesIt(int milliseconds, string expected) =>
        Assert.Equal(expected, RateLimitHeaders.Duration(TimeSpan.FromMilliseconds(milliseconds)));
}
