namespace Guardrail.Policies;

/// <summary>What happens when the classifier gives no usable verdict (<c>on_error</c>).</summary>
public enum ErrorAction
{
    /// <summary>Fail closed: block (prompts answer 503 with <c>Retry-After</c>).</summary>
    Block,

    /// <summary>Fail open: let the content through, recorded and counted as a fail-open.</summary>
    Allow,
}
