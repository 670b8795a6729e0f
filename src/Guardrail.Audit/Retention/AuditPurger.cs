using Guardrail.Audit.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Guardrail.Audit.Retention;

/// <summary>Deletes records older than the retention period, on a timer driven by the store's <see cref="TimeProvider"/>.</summary>
/// <remarks>The store deletes (<see cref="AuditStore.DeleteOlderThanAsync"/>): in chunks, each its own short
/// transaction, so a purge of a large backlog never holds a write lock long enough to stall the decision writer
/// behind it; on PostgreSQL under an advisory lock, so replicas purging at once do not fight over the same rows.
/// This class owns the timer, the one-at-a-time rule within the process, and the counting.</remarks>
internal sealed class AuditPurger : IAsyncDisposable
{
    private readonly Func<DateTimeOffset, CancellationToken, Task<long>> _deleteOlderThan;
    private readonly int _retentionDays;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _timeProvider;
    private readonly AuditMetrics _metrics;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Task _loop = Task.CompletedTask;

    public AuditPurger(
        Func<DateTimeOffset, CancellationToken, Task<long>> deleteOlderThan,
        AuditStoreOptions options,
        TimeProvider timeProvider,
        AuditMetrics metrics,
        ILogger logger)
    {
        _deleteOlderThan = deleteOlderThan;
        _retentionDays = options.RetentionDays;
        _interval = options.PurgeInterval;
        _timeProvider = timeProvider;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Starts the background purge when both a retention period and an interval are set.</summary>
    public void Start()
    {
        if (_retentionDays > 0 && _interval > TimeSpan.Zero)
        {
            _loop = RunAsync(_stopping.Token);
        }
    }

    /// <summary>Deletes every record older than the retention period now; returns how many. 0 when records are kept
    /// forever.</summary>
    public async Task<long> PurgeNowAsync(CancellationToken cancellationToken)
    {
        if (_retentionDays <= 0)
        {
            return 0;
        }

        var cutoff = _timeProvider.GetUtcNow() - TimeSpan.FromDays(_retentionDays);
        long total;
        // One purge at a time: the timer and an explicit call must not delete the same chunk twice over.
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            total = await _deleteOlderThan(cutoff, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }

        if (total > 0)
        {
            _metrics.Purged(total);
            AuditLog.Purged(_logger, total, cutoff);
        }

        return total;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping is the expected way out of the loop.
        }

        _stopping.Dispose();
        _gate.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_interval, _timeProvider);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                // SQLite's purge is synchronous work; keep it off the timer's callback thread.
                await Task.Run(() => PurgeNowAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A failed purge (disk full, locked too long) must not end the loop; the next tick retries.
                AuditLog.PurgeFailed(_logger, ex);
            }
        }
    }
}
