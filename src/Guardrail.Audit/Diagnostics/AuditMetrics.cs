using System.Diagnostics.Metrics;

namespace Guardrail.Audit.Diagnostics;

/// <summary>The audit store's instruments (meter <c>Guardrail.Audit</c>) and the counters behind
/// <see cref="AuditWriterStats"/>.</summary>
/// <remarks>Instrument names are the Prometheus names, so the exporter needs no mapping table. None carries tags:
/// there is one store per process and every dimension worth splitting by is in the records themselves.</remarks>
internal sealed class AuditMetrics : IDisposable
{
    public const string MeterName = "Guardrail.Audit";

    private readonly Meter _meter;
    private readonly Counter<long> _written;
    private readonly Counter<long> _writeErrors;
    private readonly Counter<long> _queueFull;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _purged;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _commitDuration;

    private long _writtenCount;
    private long _writeErrorCount;
    private long _queueFullCount;
    private long _rejectedCount;
    private long _droppedCount;
    private long _purgedCount;
    private long _batchCount;
    private int _largestBatch;

    /// <param name="queueDepth">Reads the writer's queue depth at collection time.</param>
    /// <param name="meterFactory">The host's factory, so that the host's exporter finds this meter (it listens to its
    /// own factory's meters only); null for a standalone store (the CLI, tests), which gets a meter of its own.</param>
    public AuditMetrics(Func<int> queueDepth, IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _meter.CreateObservableGauge("guardrail_audit_queue_depth", queueDepth, unit: "{record}",
            description: "Audit records waiting for the writer.");
        _written = _meter.CreateCounter<long>("guardrail_audit_records_written_total", unit: "{record}",
            description: "Audit records committed.");
        _writeErrors = _meter.CreateCounter<long>("guardrail_audit_write_errors_total", unit: "{record}",
            description: "Audit records that could not be committed.");
        _queueFull = _meter.CreateCounter<long>("guardrail_audit_queue_full_total", unit: "{event}",
            description: "Writes that found the audit queue full and had to wait.");
        _rejected = _meter.CreateCounter<long>("guardrail_audit_rejected_total", unit: "{record}",
            description: "Writes refused because the audit queue stayed full for the whole enqueue timeout.");
        _dropped = _meter.CreateCounter<long>("guardrail_audit_dropped_total", unit: "{record}",
            description: "Best-effort records (requests refused before any check) not written because the audit queue was half full.");
        _purged = _meter.CreateCounter<long>("guardrail_audit_records_purged_total", unit: "{record}",
            description: "Audit records deleted by retention.");
        _batchSize = _meter.CreateHistogram<int>("guardrail_audit_batch_size", unit: "{record}",
            description: "Records committed per transaction.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000] });
        _commitDuration = _meter.CreateHistogram<double>("guardrail_audit_commit_duration_seconds", unit: "s",
            description: "Time to write and commit one batch, fsync included.");

        // Untagged counters start at zero so that an alert on increase() sees the first error after a restart.
        _written.Add(0);
        _writeErrors.Add(0);
        _queueFull.Add(0);
        _rejected.Add(0);
        _dropped.Add(0);
        _purged.Add(0);
    }

    /// <summary>The meter, so that tests can listen to this store's instruments only.</summary>
    public Meter Meter => _meter;

    public void BatchCommitted(int count, TimeSpan duration)
    {
        Interlocked.Add(ref _writtenCount, count);
        Interlocked.Increment(ref _batchCount);
        var largest = Volatile.Read(ref _largestBatch);
        while (count > largest)
        {
            var seen = Interlocked.CompareExchange(ref _largestBatch, count, largest);
            if (seen == largest)
            {
                break;
            }

            largest = seen;
        }

        _written.Add(count);
        _batchSize.Record(count);
        _commitDuration.Record(duration.TotalSeconds);
    }

    public void WriteFailed(int count)
    {
        Interlocked.Add(ref _writeErrorCount, count);
        _writeErrors.Add(count);
    }

    public void QueueFull()
    {
        Interlocked.Increment(ref _queueFullCount);
        _queueFull.Add(1);
    }

    public void Rejected()
    {
        Interlocked.Increment(ref _rejectedCount);
        _rejected.Add(1);
    }

    public void Dropped()
    {
        Interlocked.Increment(ref _droppedCount);
        _dropped.Add(1);
    }

    public void Purged(long count)
    {
        Interlocked.Add(ref _purgedCount, count);
        _purged.Add(count);
    }

    public AuditWriterStats Snapshot(int queueDepth, int queueCapacity) => new()
    {
        QueueDepth = queueDepth,
        QueueCapacity = queueCapacity,
        RecordsWritten = Interlocked.Read(ref _writtenCount),
        WriteErrors = Interlocked.Read(ref _writeErrorCount),
        QueueFullEvents = Interlocked.Read(ref _queueFullCount),
        Rejected = Interlocked.Read(ref _rejectedCount),
        Dropped = Interlocked.Read(ref _droppedCount),
        Batches = Interlocked.Read(ref _batchCount),
        LargestBatch = Volatile.Read(ref _largestBatch),
        RecordsPurged = Interlocked.Read(ref _purgedCount),
    };

    public void Dispose() => _meter.Dispose();
}
