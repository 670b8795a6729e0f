using System.Diagnostics.Metrics;
using Guardrail.Conversations;
using Guardrail.Policies;

namespace Guardrail.Moderation;

/// <summary>
/// Decision metrics. Label values come from closed sets: direction and action enums, category codes of the loaded
/// taxonomies and policy ids from configuration, never from request content.
/// </summary>
public sealed class ModerationMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Guardrail.Moderation";

    private static readonly double[] LatencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private readonly Meter _meter;
    private readonly Counter<long> _decisions;
    private readonly Counter<long> _categoryHits;
    private readonly Histogram<double> _latency;
    private readonly Counter<long> _classifierFailures;
    private readonly Counter<long> _shadowDisagreements;
    private readonly Counter<long> _streamCuts;
    private readonly Counter<long> _auditFailures;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>.</summary>
    public ModerationMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        _decisions = _meter.CreateCounter<long>("guardrail_decisions_total", description: "Moderation decisions by direction, action and policy.");
        _categoryHits = _meter.CreateCounter<long>("guardrail_category_hits_total", description: "Hazard categories named in decisions that flagged or blocked, by direction and code.");
        _latency = _meter.CreateHistogram("guardrail_classification_duration_seconds", unit: "s", description: "Time to a Llama Guard verdict, queueing included, by direction.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _classifierFailures = _meter.CreateCounter<long>("guardrail_classifier_failures_total", description: "Classifier errors by the action on_error took: fail_closed (block) or fail_open (allow).");
        _shadowDisagreements = _meter.CreateCounter<long>("guardrail_shadow_disagreements_total", description: "Decisions whose shadow policy would have acted differently, by policy.");
        _streamCuts = _meter.CreateCounter<long>("guardrail_stream_cuts_total", description: "Streamed responses cut by a block, by policy.");
        _auditFailures = _meter.CreateCounter<long>("guardrail_audit_write_failures_total", description: "Decisions the audit log could not take, by what the request got: blocked (refused anyway), fail_closed (refused, 503) or fail_open (served unrecorded).");

        // Both results exist from the start, so that an alert on increase() sees the first failure after a restart.
        _classifierFailures.Add(0, new KeyValuePair<string, object?>("result", "fail_open"));
        _classifierFailures.Add(0, new KeyValuePair<string, object?>("result", "fail_closed"));
        foreach (var result in (string[])["blocked", "fail_closed", "fail_open"])
        {
            _auditFailures.Add(0, new KeyValuePair<string, object?>("result", result));
        }
    }

    /// <summary>
    /// Exports at zero every series the policies of <paramref name="snapshot"/> make possible: decisions by direction,
    /// action and policy, category hits of the categories they send, stream cuts and shadow disagreements by policy.
    /// Call it for every snapshot put in force; series of earlier snapshots keep their counts.
    /// </summary>
    /// <remarks>A series that exists before its first event lets an alert on <c>increase()</c> see that event.</remarks>
    public void Seed(PolicySnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        foreach (var policy in snapshot.Policies)
        {
            var id = new KeyValuePair<string, object?>("policy", policy.Id);
            foreach (var direction in (CheckDirection[])[CheckDirection.Prompt, CheckDirection.Response])
            {
                foreach (var action in Enum.GetValues<ModerationAction>())
                {
                    _decisions.Add(0, new("direction", Name(direction)), new("action", Name(action)), id);
                }

                foreach (var category in policy.Categories.Where(static c => c.Action != CategoryAction.Off))
                {
                    _categoryHits.Add(0, new("direction", Name(direction)), new("category", category.Code));
                }
            }

            _streamCuts.Add(0, id);
            _shadowDisagreements.Add(0, id);
        }
    }

    /// <summary>Records one decision and what it implies.</summary>
    public void Record(ModerationOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var decision = outcome.Decision;
        var direction = Name(decision.Direction);
        _decisions.Add(1, new("direction", direction), new("action", Name(decision.Action)), new("policy", decision.PolicyId));
        if (decision.Action != ModerationAction.Allow)
        {
            foreach (var category in decision.Categories.Where(c => c.Known))
            {
                _categoryHits.Add(1, new("direction", direction), new("category", category.Code));
            }
        }

        if (!outcome.Verdict.Latency.Equals(TimeSpan.Zero))
        {
            _latency.Record(outcome.Verdict.Latency.TotalSeconds, new KeyValuePair<string, object?>("direction", direction));
        }

        if (decision.ClassifierFailed)
        {
            _classifierFailures.Add(1, new KeyValuePair<string, object?>("result", decision.FailedOpen ? "fail_open" : "fail_closed"));
        }

        if (decision.ShadowDisagrees)
        {
            _shadowDisagreements.Add(1, new KeyValuePair<string, object?>("policy", decision.PolicyId));
        }
    }

    /// <summary>Records a decision the audit log could not take, by what the request got.</summary>
    public void AuditFailed(string result) => _auditFailures.Add(1, new KeyValuePair<string, object?>("result", result));

    /// <summary>Records a streamed response cut by a block.</summary>
    public void StreamCut(string policyId) => _streamCuts.Add(1, new KeyValuePair<string, object?>("policy", policyId));

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();

    internal static string Name(CheckDirection direction) => direction == CheckDirection.Prompt ? "prompt" : "response";

    internal static string Name(ModerationAction action) => action switch
    {
        ModerationAction.Block => "block",
        ModerationAction.Flag => "flag",
        _ => "allow",
    };
}
