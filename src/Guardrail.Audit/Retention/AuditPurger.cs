using Guardrail.Audit.Diagnostics;
using Guardrail.Audit.Storage;
using Microsoft.Extensions.Logging;

namespace Guardrail.Audit.Retention;

/// <summary>Deletes records older than the retention period, on a timer driven by the store's <see cref="TimeProvider"/>.</summary>
/// <remarks>Deletes in chunks, each its own short transaction on its own connection, so a purge of a large backlog
/// never holds the write lock long enough to stall the decision writer behind it.</remarks>
internal sealed class AuditPurger : IAsyncDisposable
{
    private const int ChunkSize = 2_000;

    private readonly AuditConnectionFactory _connections;
    private readonly int _retentionDays;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _timeProvider;
    private readonly AuditMetrics _metrics;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private Task _loop = Task.CompletedTask;

    public AuditPurger(
        AuditConnectionFactory connections,
        SqliteAuditStoreOptions options,
        TimeProvider timeProvider,
        AuditMetrics metrics,
        ILogger logger)
    {
        _connections = connections;
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
    public long PurgeNow(CancellationToken cancellationToken)
    {
        if (_retentionDays <= 0)
        {
            return 0;
        }

        var cutoff = _timeProvider.GetUtcNow() - TimeSpan.FromDays(_retentionDays);
        long total = 0;
        // One purge at a time: the timer and an explicit call must not delete the same chunk twice over.
        lock (_gate)
        {
            using var connection = _connections.Open();
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var transaction = connection.BeginTransaction();
                using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText =
                    "DELETE FROM decisions WHERE seq IN (SELECT seq FROM decisions WHERE time_ticks < $cutoff LIMIT $chunk);";
                command.Parameters.AddWithValue("$cutoff", cutoff.UtcTicks);
                command.Parameters.AddWithValue("$chunk", ChunkSize);
                var deleted = command.ExecuteNonQuery();
                transaction.Commit();
                total += deleted;
                if (deleted < ChunkSize)
                {
                    break;
                }
            }
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
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_interval, _timeProvider);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                // The purge is synchronous SQLite work; keep it off the timer's callback thread.
                await Task.Run(() => PurgeNow(cancellationToken), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A failed purge (disk full, locked too long) must not end the loop; the next tick retries.
                AuditLog.PurgeFailed(_logger, ex);
            }
        }
    }
}
