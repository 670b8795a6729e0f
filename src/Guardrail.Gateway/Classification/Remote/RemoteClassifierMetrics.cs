using System.Diagnostics.Metrics;
using Guardrail.Gateway.Configuration;
using Polly.CircuitBreaker;

namespace Guardrail.Gateway.Classification.Remote;

/// <summary>
/// The remote classifier pool per endpoint: attempts, failed attempts, their time, health and breaker state. The
/// endpoint label is the configured base URL (a closed set); the counters are exported at zero for every configured
/// endpoint from start-up, so that an alert on <c>increase()</c> sees the first failure.
/// </summary>
internal sealed class RemoteClassifierMetrics : IDisposable
{
    public const string MeterName = "Guardrail.Classifier.Remote";

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _errors;
    private readonly Histogram<double> _duration;

    public RemoteClassifierMetrics(ClassifierHost classifier, GuardrailOptions options, IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _requests = _meter.CreateCounter<long>("guardrail_classifier_remote_requests_total", description: "Checks sent to a remote classifier endpoint (a retry on another endpoint counts there).");
        _errors = _meter.CreateCounter<long>("guardrail_classifier_remote_errors_total", description: "Attempts on a remote classifier endpoint that failed: refused or broken connection, timeout, error status, unusable answer, breaker open.");
        _duration = _meter.CreateHistogram<double>(
            "guardrail_classifier_remote_request_duration_seconds",
            unit: "s",
            description: "Time of one attempt on a remote classifier endpoint, from sending the check to reading its answer.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _meter.CreateObservableGauge(
            "guardrail_classifier_remote_breaker_state",
            () => classifier.RemoteStatus.Select(static s => new Measurement<int>(BreakerValue(s.Breaker), new KeyValuePair<string, object?>("endpoint", s.Name))),
            description: "A remote classifier endpoint's breaker: 0 closed (takes checks), 1 half-open (one trial check), 2 open (skipped).");
        _meter.CreateObservableGauge(
            "guardrail_classifier_remote_healthy",
            () => classifier.RemoteStatus.Select(static s => new Measurement<int>(s.Healthy ? 1 : 0, new KeyValuePair<string, object?>("endpoint", s.Name))),
            description: "1 when a remote classifier endpoint passed its last health check (GET /v1/models), else 0.");
        _meter.CreateObservableGauge(
            "guardrail_classifier_remote_outstanding",
            () => classifier.RemoteStatus.Select(static s => new Measurement<int>(s.Outstanding, new KeyValuePair<string, object?>("endpoint", s.Name))),
            description: "Checks in flight on a remote classifier endpoint (what balancing compares, per unit of weight).");

        foreach (var endpoint in options.Classifier.Remote.Endpoints)
        {
            var tag = new KeyValuePair<string, object?>("endpoint", endpoint.Name);
            _requests.Add(0, tag);
            _errors.Add(0, tag);
        }

        classifier.RemoteAttemptObserver = Record;
    }

    public void Dispose() => _meter.Dispose();

    internal static int BreakerValue(CircuitState state) => state switch
    {
        CircuitState.Closed => 0,
        CircuitState.HalfOpen => 1,
        _ => 2,
    };

    private void Record(string endpoint, TimeSpan duration, bool answered)
    {
        var tag = new KeyValuePair<string, object?>("endpoint", endpoint);
        _requests.Add(1, tag);
        if (!answered)
        {
            _errors.Add(1, tag);
        }

        _duration.Record(duration.TotalSeconds, tag);
    }
}
