namespace Guardrail.Gateway.Limits;

/// <summary>Where bucket states live: this process (<see cref="MemoryLimitStore"/>) or Redis, shared by replicas (<see cref="RedisLimitStore"/>).</summary>
internal interface ILimitStore
{
    /// <summary>
    /// Takes <paramref name="cost"/> units from the bucket named <paramref name="key"/> in one atomic step, or, when
    /// not <paramref name="force"/>d and over the limit, leaves it unchanged. Returns whether it was allowed and the
    /// bucket's TAT afterwards (see <see cref="LimitBucket"/>).
    /// </summary>
    ValueTask<(bool Allowed, double Tat)> TakeAsync(string key, LimitBucket bucket, double nowMilliseconds, long cost, bool force, CancellationToken cancellationToken);
}
