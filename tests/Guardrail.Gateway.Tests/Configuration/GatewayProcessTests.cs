using System.Diagnostics;

namespace Guardrail.Gateway.Tests.Configuration;

/// <summary>The gateway as an operator runs it: a separate process, configured through the environment.</summary>
public sealed class GatewayProcessTests
{
    [Fact]
    public async Task Run_InvalidConfiguration_ExitsWithTheErrorListAndNoStackTrace()
    {
        var gatewayDll = Path.Combine(AppContext.BaseDirectory, "Guardrail.Gateway.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { gatewayDll, "--urls", "http://127.0.0.1:0" },
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("Guardrail", StringComparison.OrdinalIgnoreCase) || k.StartsWith("ReverseProxy", StringComparison.OrdinalIgnoreCase) || k.StartsWith("OTEL_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["ReverseProxy__Routes__openai__ClusterId"] = "llm";
        start.Environment["ReverseProxy__Routes__openai__Match__Path"] = "/v1/{**path}";
        start.Environment["ReverseProxy__Clusters__llm__Destinations__main__Address"] = "localhost:8080";
        start.Environment["Guardrail__Limits__MaxRequestBodyBytes"] = "0";

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(78, process.ExitCode);
        var errors = await stderr;
        Assert.Contains("configuration error(s)", errors, StringComparison.Ordinal);
        Assert.Contains("ReverseProxy:Clusters:llm:Destinations:main:Address 'localhost:8080'", errors, StringComparison.Ordinal);
        Assert.Contains("Guardrail:Limits:MaxRequestBodyBytes is 0", errors, StringComparison.Ordinal);
        Assert.Contains("Guardrail:Auth:Keys is empty", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", errors + await stdout, StringComparison.Ordinal);
    }

    /// <summary>Each a bad value of a different kind, with the key the error must name.</summary>
    public static TheoryData<string, string, string> BadValues => new()
    {
        { "Guardrail:Audit:ContentRetention", "Ful", "Guardrail:Audit:ContentRetention" },
        { "Guardrail:Classifier:ContextSize", "-5", "Guardrail:Classifier:ContextSize" },
        { "Guardrail:Classifier:QueueCapacity", "0", "Guardrail:Classifier:QueueCapacity" },
        { "Guardrail:Classifier:RequestTimeout", "00:00:00", "Guardrail:Classifier:RequestTimeout" },
        { "Guardrail:Classifier:ModelPath", "/nonexistent/llama-guard.gguf", "Guardrail:Classifier:ModelPath" },
        { "Guardrail:Limits:MaxMessages", "-1", "Guardrail:Limits:MaxMessages" },
        { "Guardrail:Limits:MaxResponseBodyBytes", "0", "Guardrail:Limits:MaxResponseBodyBytes" },
        { "Guardrail:Audit:RetentionDays", "-3", "Guardrail:Audit:RetentionDays" },
        { "Guardrail:Audit:QueueCapacity", "0", "Guardrail:Audit:QueueCapacity" },
        { "Guardrail:Audit:ConnectionString", "postgres://guardrail:secret@/audit", "Guardrail:Audit:ConnectionString" },
        { "Guardrail:Cache:TtlSeconds", "0", "Guardrail:Cache:TtlSeconds" },
        { "Guardrail:Cache:Redis", "http://example.invalid", "Guardrail:Cache:Redis" },
        { "Guardrail:Metrics:ManagementUrl", "not a url", "Guardrail:Metrics:ManagementUrl" },
        { "Guardrail:Upstream:ConnectRetries", "99", "Guardrail:Upstream:ConnectRetries" },
        { "Guardrail:Policies:Directory", "/nonexistent/policies", "Guardrail:Policies:Directory" },
        { "Guardrail:Classifier:TenantQueueShare", "0", "Guardrail:Classifier:TenantQueueShare" },
        { "Guardrail:Classifier:ConversationCacheTokens", "-1", "Guardrail:Classifier:ConversationCacheTokens" },
        { "Guardrail:Classifier:ConversationCacheSize", "0", "Guardrail:Classifier:ConversationCacheSize" },
        { "Guardrail:Classifier:TenantWeights:acme", "0", "Guardrail:Classifier:TenantWeights:acme" },
        { "Guardrail:RateLimits:Default:RequestsPerMinute", "-1", "Guardrail:RateLimits:Default:RequestsPerMinute" },
        { "Guardrail:RateLimits:Tenants:acme:ConcurrentRequests", "-2", "Guardrail:RateLimits:Tenants:acme:ConcurrentRequests" },
        { "Guardrail:RateLimits:Keys:nobody:TokensPerMinute", "100", "Guardrail:RateLimits:Keys:nobody" },
        { "Guardrail:RateLimits:ReplicaCount", "0", "Guardrail:RateLimits:ReplicaCount" },
        { "Guardrail:LocalBackend:ModelPath", "/nonexistent/llama-3.gguf", "Guardrail:LocalBackend:ModelPath" },
        { "Guardrail:Tracing:Endpoint", "collector:4317", "Guardrail:Tracing:Endpoint" },
        { "Guardrail:Tracing:Protocol", "udp", "Guardrail:Tracing:Protocol" },
        { "Guardrail:Tracing:SampleRatio", "1.5", "Guardrail:Tracing:SampleRatio" },
        { "Guardrail:Tracing:Enabled", "true", "Guardrail:Tracing:Enabled" },
        { "OTEL_EXPORTER_OTLP_ENDPOINT", "not a url", "OTEL_EXPORTER_OTLP_ENDPOINT" },
        { "Guardrail:Classifier:Remote:Endpoints:0:Url", "guard-0:8080", "Guardrail:Classifier:Remote:Endpoints:0:Url" },
        { "Guardrail:Classifier:Remote:Endpoints:0:Weight", "0", "Guardrail:Classifier:Remote:Endpoints:0:Weight" },
        { "Guardrail:Classifier:Remote:AttemptTimeout", "00:00:00", "Guardrail:Classifier:Remote:AttemptTimeout" },
        { "Guardrail:Classifier:Remote:HealthCheckInterval", "-00:00:01", "Guardrail:Classifier:Remote:HealthCheckInterval" },
        { "Guardrail:Classifier:Remote:FailureRatio", "2", "Guardrail:Classifier:Remote:FailureRatio" },
        { "Guardrail:Classifier:Remote:TokenizerPath", "/nonexistent/vocab.gguf", "Guardrail:Classifier:Remote:TokenizerPath" },
        { "Guardrail:Auth:KeyFile", "/nonexistent/keys.json", "Guardrail:Auth:KeyFile" },
        { "Guardrail:Auth:RotationOverlap", "-00:01:00", "Guardrail:Auth:RotationOverlap" },
        { "Guardrail:Auth:AdminKeys:0:Roles:0", "Delete", "Guardrail:Auth:AdminKeys:0:Roles:0" },
        { "Guardrail:Limits:RequestHeadersTimeout", "00:00:00", "Guardrail:Limits:RequestHeadersTimeout" },
        { "Guardrail:Limits:MinDataRateGracePeriod", "00:00:01", "Guardrail:Limits:MinDataRateGracePeriod" },
        { "Guardrail:Limits:MinResponseBytesPerSecond", "0", "Guardrail:Limits:MinResponseBytesPerSecond" },
        { "Guardrail:Limits:Http2MaxFrameBytes", "1024", "Guardrail:Limits:Http2MaxFrameBytes" },
        { "Guardrail:Limits:MaxRequestHeadersBytes", "10", "Guardrail:Limits:MaxRequestHeadersBytes" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public async Task Run_BadValue_Exits78NamingTheKey(string key, string value, string expectedKey)
    {
        var gatewayDll = Path.Combine(AppContext.BaseDirectory, "Guardrail.Gateway.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { gatewayDll, "--urls", "http://127.0.0.1:0", $"--{key}={value}" },
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("Guardrail", StringComparison.OrdinalIgnoreCase) || k.StartsWith("ReverseProxy", StringComparison.OrdinalIgnoreCase) || k.StartsWith("OTEL_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        // Everything else is a configuration that starts.
        start.Environment["Guardrail__Auth__AllowAnonymous"] = "true";
        start.Environment["Guardrail__Audit__DatabasePath"] = Path.Combine(Path.GetTempPath(), "guardrail-tests", Guid.NewGuid().ToString("N"), "audit.db");

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);

        var errors = await stderr;
        Assert.True(process.ExitCode == 78, $"exit code {process.ExitCode}; stderr:\n{errors}\nstdout:\n{await stdout}");
        Assert.Contains(expectedKey, errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal);
    }
}
