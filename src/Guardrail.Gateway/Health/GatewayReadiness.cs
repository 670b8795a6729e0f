namespace Guardrail.Gateway.Health;

/// <summary>The state of one readiness check, as <c>/readyz</c> reports it.</summary>
/// <param name="Name">A stable check name, e.g. <c>configuration</c>.</param>
/// <param name="Ready">Whether this part of the gateway can serve traffic.</param>
/// <param name="Detail">One line for an operator.</param>
/// <param name="Warnings">Things that work but should be looked at, each with how to fix it.</param>
/// <param name="Facts">Values a script may read, written as fields of the check (the classifier's <c>variant</c>); none by default.</param>
public sealed record ReadinessCheck(string Name, bool Ready, string Detail, IReadOnlyList<string> Warnings, IReadOnlyDictionary<string, string>? Facts = null);

/// <summary>
/// What <c>/readyz</c> reports. Components publish their check when their state changes; the endpoint reads an
/// immutable snapshot, so a probe never blocks on start-up work.
/// </summary>
internal sealed class GatewayReadiness
{
    private readonly Lock _gate = new();
    private IReadOnlyDictionary<string, ReadinessCheck> _checks = new Dictionary<string, ReadinessCheck>(StringComparer.Ordinal);

    public IReadOnlyCollection<ReadinessCheck> Checks => _checks.Values.ToList();

    public bool IsReady => _checks.Count > 0 && _checks.Values.All(c => c.Ready);

    public void Report(ReadinessCheck check)
    {
        lock (_gate)
        {
            var next = new Dictionary<string, ReadinessCheck>(_checks, StringComparer.Ordinal) { [check.Name] = check };
            _checks = next;
        }
    }
}
