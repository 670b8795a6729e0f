using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Guardrail.Gateway.Metrics;

/// <summary>
/// Process CPU, memory and GC under the names every Prometheus user knows (<c>process_*</c>, <c>dotnet_*</c>),
/// read when scraped.
/// </summary>
internal sealed class ProcessMetrics : IDisposable
{
    public const string MeterName = "Guardrail.Process";

    private readonly Meter _meter;
    private readonly DateTimeOffset _startTime = new(Process.GetCurrentProcess().StartTime.ToUniversalTime(), TimeSpan.Zero);

    public ProcessMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableCounter("process_cpu_seconds_total", static () => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, description: "Total user and system CPU time spent in seconds.");
        _meter.CreateObservableGauge("process_resident_memory_bytes", static () => Environment.WorkingSet, description: "Resident memory size in bytes.");
        _meter.CreateObservableGauge("process_start_time_seconds", () => _startTime.ToUnixTimeMilliseconds() / 1000.0, description: "Start time of the process since unix epoch in seconds.");
        _meter.CreateObservableGauge("process_threads", static () => Process.GetCurrentProcess().Threads.Count, description: "Number of OS threads in the process.");
        _meter.CreateObservableGauge("dotnet_gc_heap_size_bytes", static () => GC.GetGCMemoryInfo().HeapSizeBytes, description: "GC heap size in bytes at the last collection.");
        _meter.CreateObservableCounter("dotnet_allocated_bytes_total", static () => GC.GetTotalAllocatedBytes(), description: "Bytes allocated on the managed heap since the process started.");
        _meter.CreateObservableCounter("dotnet_gc_collections_total", static () => new[]
        {
            new Measurement<long>(GC.CollectionCount(0), new KeyValuePair<string, object?>("generation", "0")),
            new Measurement<long>(GC.CollectionCount(1), new KeyValuePair<string, object?>("generation", "1")),
            new Measurement<long>(GC.CollectionCount(2), new KeyValuePair<string, object?>("generation", "2")),
        }, description: "Garbage collections since the process started, by generation.");
    }

    public void Dispose() => _meter.Dispose();
}
