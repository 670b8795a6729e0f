using System.Diagnostics.Metrics;
using Yarp.ReverseProxy.Forwarder;

namespace Guardrail.Gateway.Metrics;

/// <summary>
/// The gateway's own instruments: HTTP traffic, authentication failures and upstream forwarding. Label values come
/// from closed sets only (route and cluster ids from configuration, status classes, fixed reasons), never from
/// what a client sent.
/// </summary>
internal sealed class GatewayMetrics : IDisposable
{
    public const string MeterName = "Guardrail.Gateway";

    private static readonly double[] LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly Meter _meter;
    private readonly Counter<long> _httpRequests;
    private readonly Histogram<double> _httpDuration;
    private readonly Counter<long> _authFailures;
    private readonly Histogram<double> _upstreamDuration;
    private readonly Counter<long> _upstreamErrors;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        var latencyAdvice = new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets };
        _httpRequests = _meter.CreateCounter<long>("guardrail_http_requests_total", description: "HTTP requests served, by route, method and status class.");
        _httpDuration = _meter.CreateHistogram("guardrail_http_request_duration_seconds", unit: "s", description: "Time from request start to the end of the response, by route.", advice: latencyAdvice);
        _authFailures = _meter.CreateCounter<long>("guardrail_auth_failures_total", description: "Requests rejected for a missing or wrong gateway key, by reason.");
        _upstreamDuration = _meter.CreateHistogram("guardrail_upstream_request_duration_seconds", unit: "s", description: "Time spent forwarding to a backend cluster, response body included, by cluster.", advice: latencyAdvice);
        _upstreamErrors = _meter.CreateCounter<long>("guardrail_upstream_errors_total", description: "Forwarding failures by cluster and YARP error kind.");

        // Every reason exists from the start, so that an alert on increase() sees the first failure after a restart.
        foreach (var reason in AuthenticationFailureReasons)
        {
            _authFailures.Add(0, new KeyValuePair<string, object?>("reason", reason));
        }
    }

    /// <summary>The reasons <see cref="AuthenticationFailed"/> is called with: no key, a key that matches none, the wrong kind of key, an admin key outside its scope.</summary>
    public static IReadOnlyList<string> AuthenticationFailureReasons { get; } = ["missing_key", "invalid_key", "wrong_key_kind", "admin_scope"];

    /// <summary>Exports every error kind of every configured cluster at zero (existing series keep their counts).</summary>
    public void ClustersConfigured(IEnumerable<string> clusters)
    {
        foreach (var cluster in clusters)
        {
            foreach (var error in Enum.GetValues<ForwarderError>())
            {
                if (error != ForwarderError.None)
                {
                    _upstreamErrors.Add(0, new("cluster", cluster), new("error", error.ToString()));
                }
            }
        }
    }

    public void HttpRequestCompleted(string route, string method, int statusCode, TimeSpan duration)
    {
        if (_httpRequests.Enabled)
        {
            _httpRequests.Add(1, new("route", route), new("method", NormalizeMethod(method)), new("status_class", StatusClass(statusCode)));
        }

        if (_httpDuration.Enabled)
        {
            _httpDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("route", route));
        }
    }

    public void AuthenticationFailed(string reason)
    {
        if (_authFailures.Enabled)
        {
            _authFailures.Add(1, new KeyValuePair<string, object?>("reason", reason));
        }
    }

    public void UpstreamCompleted(string cluster, TimeSpan duration, ForwarderError error)
    {
        if (_upstreamDuration.Enabled)
        {
            _upstreamDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("cluster", cluster));
        }

        if (error != ForwarderError.None && _upstreamErrors.Enabled)
        {
            _upstreamErrors.Add(1, new("cluster", cluster), new("error", error.ToString()));
        }
    }

    public void Dispose() => _meter.Dispose();

    private static string StatusClass(int statusCode) => statusCode switch
    {
        >= 100 and < 200 => "1xx",
        >= 200 and < 300 => "2xx",
        >= 300 and < 400 => "3xx",
        >= 400 and < 500 => "4xx",
        _ => "5xx",
    };

    private static string NormalizeMethod(string method) => method switch
    {
        "GET" or "POST" or "PUT" or "DELETE" or "PATCH" or "HEAD" or "OPTIONS" => method,
        _ => "OTHER",
    };
}
