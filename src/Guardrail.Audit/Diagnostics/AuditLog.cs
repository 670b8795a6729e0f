using Microsoft.Extensions.Logging;

namespace Guardrail.Audit.Diagnostics;

/// <summary>The audit store's log messages. Event ids 7000-7099 are stable; add, never renumber.</summary>
internal static partial class AuditLog
{
    [LoggerMessage(EventId = AuditEventIds.StoreOpened, Level = LogLevel.Information,
        Message = "Audit store opened at {Path} (schema version {FoundVersion} -> {Version}, default retention {Retention})")]
    public static partial void Opened(ILogger logger, string path, int foundVersion, int version, string retention);

    [LoggerMessage(EventId = AuditEventIds.BatchRefused, Level = LogLevel.Warning,
        Message = "Audit batch of {Count} records was refused; committing its records one by one to isolate the bad one")]
    public static partial void BatchFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = AuditEventIds.BatchRetrying, Level = LogLevel.Warning,
        Message = "Audit database could not write a batch of {Count} records (attempt {Attempt}); retrying in {Delay}")]
    public static partial void BatchRetrying(ILogger logger, int count, int attempt, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = AuditEventIds.RecordLost, Level = LogLevel.Error,
        Message = "Audit record {Id} could not be written and is lost")]
    public static partial void RecordFailed(ILogger logger, string id, Exception exception);

    [LoggerMessage(EventId = AuditEventIds.QueueFull, Level = LogLevel.Warning,
        Message = "Audit queue is full ({Capacity} records); producers wait up to {Timeout} each. Logged once until the queue drains; guardrail_audit_queue_full_total counts every wait")]
    public static partial void QueueFull(ILogger logger, int capacity, TimeSpan timeout);

    [LoggerMessage(EventId = AuditEventIds.RecordRejected, Level = LogLevel.Error,
        Message = "Audit record {Id} rejected: the queue stayed full for {Timeout}")]
    public static partial void Rejected(ILogger logger, string id, TimeSpan timeout);

    [LoggerMessage(EventId = AuditEventIds.Purged, Level = LogLevel.Information,
        Message = "Audit purge deleted {Count} records older than {Cutoff:O}")]
    public static partial void Purged(ILogger logger, long count, DateTimeOffset cutoff);

    [LoggerMessage(EventId = AuditEventIds.PurgeFailed, Level = LogLevel.Error, Message = "Audit purge failed; it runs again next interval")]
    public static partial void PurgeFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = AuditEventIds.StoreClosed, Level = LogLevel.Information,
        Message = "Audit store closed after flushing; {Written} records written, {Errors} write errors")]
    public static partial void Closed(ILogger logger, long written, long errors);
}
