using Guardrail.Auditing;

namespace Guardrail.Audit.Writing;

/// <summary>The database side of the writer: commits one batch of records in one transaction. The writer owns the
/// queue, the batching, the retries and the outcomes; a committer only knows its engine.</summary>
internal interface IAuditBatchCommitter : IAsyncDisposable
{
    /// <summary>Inserts every record, each already reduced by its retention mode, and commits; returns once the
    /// commit is acknowledged (durable).</summary>
    Task CommitAsync(IReadOnlyList<AuditRecord> records);

    /// <summary>True when <paramref name="exception"/> says the database cannot write now, whatever the records (locked,
    /// unreachable, disk full), so the whole batch is worth retrying; false when the records themselves were refused
    /// (a duplicate id), so the batch is split to isolate the bad one.</summary>
    bool IsUnavailable(Exception exception);
}
