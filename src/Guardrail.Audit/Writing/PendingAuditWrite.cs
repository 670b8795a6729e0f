using Guardrail.Auditing;

namespace Guardrail.Audit.Writing;

/// <summary>A record waiting for the writer, already reduced by retention; <see cref="Committed"/> is set for
/// <see cref="AuditDurability.Full"/> writes whose producer waits for the commit.</summary>
internal sealed record PendingAuditWrite(AuditRecord Record, TaskCompletionSource? Committed);
