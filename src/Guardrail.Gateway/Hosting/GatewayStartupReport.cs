namespace Guardrail.Gateway.Hosting;

/// <summary>What configuration validation had to say at start-up, kept for the log and for <c>/readyz</c>.</summary>
internal sealed record GatewayStartupReport(IReadOnlyList<string> Warnings, bool UsesDefaultProxy);
