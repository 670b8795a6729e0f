namespace Guardrail.RemoteClassification.Tests;

public sealed class RemoteClassifierOptionsTests
{
    private const string Section = "Guardrail:Classifier:Remote";

    [Fact]
    public void Validate_NoEndpoints_IsValid() => Assert.Empty(new RemoteClassifierOptions().Validate(Section));

    [Fact]
    public void Validate_GoodPool_IsValid() =>
        Assert.Empty(Pool(new RemoteEndpointOptions { Url = "http://guard-0:8080", ApiKey = "secret-key-0123456789", Weight = 2 }, new RemoteEndpointOptions { Url = "https://guard-1/" }).Validate(Section));

    [Theory]
    [InlineData("guard-0:8080", "Endpoints:0:Url")]
    [InlineData("ftp://guard-0", "Endpoints:0:Url")]
    [InlineData("http://user:pass@guard-0", "must not carry credentials")]
    [InlineData("http://guard-0/?key=x", "must not carry credentials")]
    public void Validate_BadUrl_NamesTheKey(string url, string expected)
    {
        var errors = Pool(new RemoteEndpointOptions { Url = url }).Validate(Section);

        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal) && e.StartsWith(Section, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_BadValues_ReportsEveryKeyWithoutTheApiKey()
    {
        var options = new RemoteClassifierOptions
        {
            Endpoints = [new RemoteEndpointOptions { Url = "http://a", Weight = 0, ApiKey = " leaked-secret " }, new RemoteEndpointOptions { Url = "http://a/" }],
            AttemptTimeout = TimeSpan.Zero,
            HealthCheckInterval = TimeSpan.FromHours(2),
            BreakDuration = TimeSpan.FromMilliseconds(1),
            SamplingDuration = TimeSpan.Zero,
            FailureRatio = 0,
            MinimumThroughput = 1,
        };

        var errors = options.Validate(Section);

        foreach (var key in new[] { "TokenizerPath", "Endpoints:0:Weight", "Endpoints:0:ApiKey", "Endpoints:1:Url", "AttemptTimeout", "HealthCheckInterval", "BreakDuration", "SamplingDuration", "FailureRatio", "MinimumThroughput" })
        {
            Assert.Contains(errors, e => e.StartsWith($"{Section}:{key}", StringComparison.Ordinal));
        }

        Assert.DoesNotContain(errors, e => e.Contains("leaked-secret", StringComparison.Ordinal));
    }

    private static RemoteClassifierOptions Pool(params RemoteEndpointOptions[] endpoints) => new() { Endpoints = endpoints, TokenizerPath = "vocab.gguf" };
}
