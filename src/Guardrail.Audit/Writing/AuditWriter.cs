using System.Diagnostics;
using System.Threading.Channels;
using Guardrail.Audit.Diagnostics;
using Guardrail.Audit.Storage;
using Guardrail.Auditing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Guardrail.Audit.Writing;

/// <summary>The single background writer: a bounded queue drained in group commits.</summary>
/// <remarks>
/// One task owns the write connection. It takes whatever is queued (up to the batch size) and commits it in one
/// transaction, so the fsync that <c>synchronous=FULL</c> costs is paid once per batch: under load batches grow by
/// themselves while the previous commit syncs, and when idle a lone record commits at once. Full-durability waiters
/// are released only after their batch's commit returns. A failed batch is retried record by record so one bad
/// record cannot take its neighbours with it; a record that still fails is counted, logged with its id, and its
/// waiter (if any) gets the exception. Nothing leaves the queue without one of those outcomes.
/// </remarks>
internal sealed class AuditWriter : IAsyncDisposable
{
    private readonly Channel<PendingAuditWrite> _queue;
    private readonly SqliteConnection _connection;
    private readonly AuditMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly int _capacity;
    private readonly int _maxBatchSize;
    private readonly TimeSpan _enqueueTimeout;
    private readonly Task _loop;
    private int _overloadLogged;

    public AuditWriter(
        SqliteConnection connection,
        SqliteAuditStoreOptions options,
        AuditMetrics metrics,
        TimeProvider timeProvider,
        ILogger logger)
    {
        _connection = connection;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = logger;
        _capacity = options.QueueCapacity;
        _maxBatchSize = options.MaxBatchSize;
        _enqueueTimeout = options.EnqueueTimeout;
        _queue = Channel.CreateBounded<PendingAuditWrite>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
            // Waiters are completed from the writer loop; their continuations must not run on it.
            AllowSynchronousContinuations = false,
        });
        _loop = Task.Run(RunAsync);
    }

    public int QueueDepth => _queue.Reader.Count;

    /// <summary>Queues a write, waiting up to the enqueue timeout for room.</summary>
    public async ValueTask EnqueueAsync(PendingAuditWrite write, CancellationToken cancellationToken)
    {
        if (_queue.Writer.TryWrite(write))
        {
            return;
        }

        _metrics.QueueFull();
        // Once per episode of overload, not once per waiting request: the writer re-arms it when the queue empties.
        if (Interlocked.Exchange(ref _overloadLogged, 1) == 0)
        {
            AuditLog.QueueFull(_logger, _capacity, _enqueueTimeout);
        }

        using var timeout = new CancellationTokenSource(_enqueueTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            // WriteAsync, not WaitToWriteAsync plus TryWrite: the channel hands freed slots to blocked writers in
            // arrival order, so under sustained overload no producer is starved past its timeout by luckier ones.
            await _queue.Writer.WriteAsync(write, linked.Token).ConfigureAwait(false);
            return;
        }
        catch (ChannelClosedException ex)
        {
            throw new ObjectDisposedException("The audit store is closed; the record was not written.", ex);
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            _metrics.Rejected();
            AuditLog.Rejected(_logger, write.Record.Id, _enqueueTimeout);
            throw new AuditQueueFullException(
                $"The audit queue stayed full ({_capacity} records) for {_enqueueTimeout.TotalMilliseconds:0} ms; " +
                $"record {write.Record.Id} was not written. The disk is slower than the decision rate: check the " +
                "audit write errors and commit duration metrics, or raise Guardrail:Audit:QueueCapacity.", ex);
        }
    }

    /// <summary>Stops accepting writes, commits everything queued, and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        using var insert = AuditRecordRows.CreateInsert(_connection);
        var batch = new List<PendingAuditWrite>(Math.Min(_maxBatchSize, 1024));
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < _maxBatchSize && _queue.Reader.TryRead(out var write))
            {
                batch.Add(write);
            }

            if (batch.Count == 0)
            {
                continue;
            }

            try
            {
                CommitBatch(batch, insert);
            }
            catch (Exception ex)
            {
                // Whatever failed, the loop must live on: every queued record still needs an outcome.
                AuditLog.BatchFailed(_logger, batch.Count, ex);
                foreach (var write in batch)
                {
                    CommitOne(write, insert);
                }
            }

            batch.Clear();
            if (_queue.Reader.Count == 0)
            {
                Volatile.Write(ref _overloadLogged, 0);
            }
        }
    }

    private void CommitBatch(List<PendingAuditWrite> batch, SqliteCommand insert)
    {
        var started = Stopwatch.GetTimestamp();
        using (var transaction = _connection.BeginTransaction())
        {
            insert.Transaction = transaction;
            foreach (var write in batch)
            {
                AuditRecordRows.Insert(insert, write.Record);
            }

            transaction.Commit();
        }

        _metrics.BatchCommitted(batch.Count, Stopwatch.GetElapsedTime(started));
        foreach (var write in batch)
        {
            write.Committed?.TrySetResult();
        }
    }

    private void CommitOne(PendingAuditWrite write, SqliteCommand insert)
    {
        try
        {
            CommitBatch([write], insert);
        }
        catch (Exception ex)
        {
            _metrics.WriteFailed(1);
            AuditLog.RecordFailed(_logger, write.Record.Id, ex);
            write.Committed?.TrySetException(
                new AuditWriteException($"Audit record {write.Record.Id} could not be committed: {ex.Message}", ex));
        }
    }
}
