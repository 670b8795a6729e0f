namespace Guardrail.Audit.Diagnostics;

/// <summary>
/// Every log event id of this assembly (range 7000-7999; see <c>docs/operations.md</c>, "Log event ids"). A retired
/// id is never reused.
/// </summary>
internal static class AuditEventIds
{
    public const int StoreOpened = 7000;
    public const int BatchRefused = 7001;
    public const int RecordLost = 7002;
    public const int QueueFull = 7003;
    public const int RecordRejected = 7004;
    public const int Purged = 7005;
    public const int PurgeFailed = 7006;
    public const int StoreClosed = 7007;
    public const int BatchRetrying = 7008;
}
