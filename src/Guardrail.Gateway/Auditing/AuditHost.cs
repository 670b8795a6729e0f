using System.Diagnostics.Metrics;
using Guardrail.Audit;
using Guardrail.Auditing;
using Guardrail.Gateway.Configuration;

namespace Guardrail.Gateway.Auditing;

/// <summary>
/// Opens the audit store (SQLite, or PostgreSQL when <c>Guardrail:Audit:ConnectionString</c> is set) at start-up,
/// recovering a database left by a crash and applying migrations, and closes it last, after its queue is flushed.
/// Every moderated request writes through it. The store's meter comes from the host's
/// factory, so its <c>guardrail_audit_*</c> instruments are exported with this gateway's metrics.
/// </summary>
internal sealed class AuditHost : IAuditSink, IHostedService, IAsyncDisposable
{
    private readonly AuditStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly IMeterFactory _meterFactory;
    private AuditStore? _store;

    public AuditHost(GuardrailOptions options, IHostEnvironment environment, TimeProvider time, IMeterFactory meterFactory, ILoggerFactory loggerFactory)
    {
        _time = time;
        _meterFactory = meterFactory;
        _loggerFactory = loggerFactory;
        _options = OptionsFrom(options.Audit, environment.ContentRootPath);
    }

    /// <summary>The store's options from <c>Guardrail:Audit</c>: the one mapping, also validated at start-up.</summary>
    internal static AuditStoreOptions OptionsFrom(AuditSettings audit, string contentRoot) => new()
    {
        DatabasePath = string.IsNullOrWhiteSpace(audit.DatabasePath) ? string.Empty : Path.GetFullPath(audit.DatabasePath, contentRoot),
        ConnectionString = audit.ConnectionString,
        ContentRetention = audit.ContentRetention,
        RetentionDays = audit.RetentionDays,
        PurgeInterval = audit.PurgeInterval,
        QueueCapacity = audit.QueueCapacity,
        MaxBatchSize = audit.MaxBatchSize,
        EnqueueTimeout = audit.EnqueueTimeout,
        BusyTimeout = audit.BusyTimeout,
    };

    public AuditStore Store => _store ?? throw new InvalidOperationException("The audit store is not open yet.");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _store = await AuditStore.OpenAsync(_options, _meterFactory, _time, _loggerFactory, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask WriteAsync(AuditRecord record, AuditDurability durability, CancellationToken cancellationToken) =>
        Store.WriteAsync(record, durability, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }
}
