namespace Guardrail.Policies;

/// <summary>What a policy does with a hazard category.</summary>
public enum CategoryAction
{
    /// <summary>Sent to the model; an unsafe verdict naming it blocks the request or response.</summary>
    Block,

    /// <summary>Sent to the model; an unsafe verdict naming it lets the content through, recorded and counted.</summary>
    Flag,

    /// <summary>Not sent to the model at all; the category's code stays reserved (never renumbered).</summary>
    Off,
}
