using System.Diagnostics;
using System.Threading.Channels;
using Guardrail.Audit.Diagnostics;
using Guardrail.Auditing;
using Microsoft.Extensions.Logging;

namespace Guardrail.Audit.Writing;

/// <summary>The single background writer: a bounded queue drained in group commits.</summary>
/// <remarks>
/// One task owns the committer (the engine's side, <see cref="IAuditBatchCommitter"/>). It takes whatever is queued
/// (up to the batch size) and commits it in one transaction, so the sync a durable commit costs is paid once per batch: under load batches grow by
/// themselves while the previous commit syncs, and when idle a lone record commits at once. Full-durability waiters
/// are released only after their batch's commit returns. Failures are retried as described on
/// <see cref="CommitWithRetriesAsync"/>; a record that still fails is counted, logged with its id, and its waiter (if
/// any) gets the exception. Nothing leaves the queue without one of those outcomes.
/// </remarks>
internal sealed class AuditWriter : IAsyncDisposable
{
    // Pauses between attempts at a batch the database could not write. Each attempt also waits up to the busy
    // timeout for a lock, so a batch is given up only after several busy timeouts plus these.
    private static readonly TimeSpan[] RetryDelays = [TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(1)];

    private readonly Channel<PendingAuditWrite> _queue;
    private readonly IAuditBatchCommitter _committer;
    private readonly AuditMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly int _capacity;
    private readonly int _maxBatchSize;
    private readonly TimeSpan _enqueueTimeout;
    private readonly Task _loop;
    private int _overloadLogged;

    public AuditWriter(
        IAuditBatchCommitter committer,
        AuditStoreOptions options,
        AuditMetrics metrics,
        TimeProvider timeProvider,
        ILogger logger)
    {
        _committer = committer;
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

    /// <summary>Queues a write only while the queue is less than half full, never waiting; false when it was dropped
    /// (counted). The other half stays for decisions.</summary>
    public bool TryEnqueueBestEffort(PendingAuditWrite write)
    {
        if (_queue.Reader.Count < _capacity / 2 && _queue.Writer.TryWrite(write))
        {
            return true;
        }

        _metrics.Dropped();
        return false;
    }

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

    /// <summary>Stops accepting writes, commits everything queued, and closes the committer.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        await _committer.DisposeAsync().ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
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

            await CommitWithRetriesAsync(batch).ConfigureAwait(false);
            batch.Clear();
            if (_queue.Reader.Count == 0)
            {
                Volatile.Write(ref _overloadLogged, 0);
            }
        }
    }

    /// <summary>Commits a batch, giving every record in it an outcome.</summary>
    /// <remarks>
    /// Two kinds of failure, handled differently. A record the database refuses (a duplicate id, say) would fail any
    /// batch it is in, so the batch is split and committed record by record: only the bad record is lost. A database
    /// that cannot write at all (locked past the busy timeout, disk full, I/O error) would fail every record alike, so
    /// the whole batch is retried after a pause, a few times, while the queue fills and back-pressure reaches the
    /// producers; only then is the batch failed, loudly. Either way the loop lives on.
    /// </remarks>
    private async Task CommitWithRetriesAsync(List<PendingAuditWrite> batch)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await CommitBatchAsync(batch).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (_committer.IsUnavailable(ex) && attempt < RetryDelays.Length)
            {
                AuditLog.BatchRetrying(_logger, batch.Count, attempt + 1, RetryDelays[attempt], ex);
                await Task.Delay(RetryDelays[attempt], _timeProvider).ConfigureAwait(false);
            }
            catch (Exception ex) when (_committer.IsUnavailable(ex))
            {
                foreach (var write in batch)
                {
                    Fail(write, ex);
                }

                return;
            }
            catch (Exception ex)
            {
                AuditLog.BatchFailed(_logger, batch.Count, ex);
                foreach (var write in batch)
                {
                    await CommitOneAsync(write).ConfigureAwait(false);
                }

                return;
            }
        }
    }

    private async Task CommitBatchAsync(List<PendingAuditWrite> batch)
    {
        var started = Stopwatch.GetTimestamp();
        await _committer.CommitAsync(batch.ConvertAll(write => write.Record)).ConfigureAwait(false);
        _metrics.BatchCommitted(batch.Count, Stopwatch.GetElapsedTime(started));
        foreach (var write in batch)
        {
            write.Committed?.TrySetResult();
        }
    }

    private async Task CommitOneAsync(PendingAuditWrite write)
    {
        try
        {
            await CommitBatchAsync([write]).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Fail(write, ex);
        }
    }

    private void Fail(PendingAuditWrite write, Exception exception)
    {
        _metrics.WriteFailed(1);
        AuditLog.RecordFailed(_logger, write.Record.Id, exception);
        write.Committed?.TrySetException(
            new AuditWriteException($"Audit record {write.Record.Id} could not be committed: {exception.Message}", exception));
    }
}
