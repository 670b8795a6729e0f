using Guardrail.Auditing;
using Guardrail.RemoteClassification;

namespace Guardrail.Gateway.Configuration;

/// <summary>
/// The <c>Guardrail</c> configuration section. Bound once at start-up and validated by
/// <see cref="GatewayConfigurationValidator"/>; YARP's own <c>ReverseProxy</c> section sits beside it.
/// </summary>
public sealed class GuardrailOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Guardrail";

    /// <summary>Client authentication with gateway keys.</summary>
    public AuthOptions Auth { get; init; } = new();

    /// <summary>The in-process Llama Guard classifier.</summary>
    public ClassifierSettings Classifier { get; init; } = new();

    /// <summary>The built-in Llama 3 generation backend (off unless its model is set).</summary>
    public LocalBackendSettings LocalBackend { get; init; } = new();

    /// <summary>Where policies and taxonomies are read from.</summary>
    public PolicySettings Policies { get; init; } = new();

    /// <summary>The audit log.</summary>
    public AuditSettings Audit { get; init; } = new();

    /// <summary>The Prometheus endpoint.</summary>
    public MetricsOptions Metrics { get; init; } = new();

    /// <summary>How the gateway talks to backends: connect timeout, retries of failed connections, circuit breaker.</summary>
    public UpstreamResilienceSettings Upstream { get; init; } = new();

    /// <summary>Console log format.</summary>
    public LoggingOptions Logging { get; init; } = new();

    /// <summary>OpenTelemetry traces (off unless an OTLP endpoint is configured).</summary>
    public TracingOptions Tracing { get; init; } = new();

    /// <summary>The verdict cache in front of the classifier.</summary>
    public CacheSettings Cache { get; init; } = new();

    /// <summary>Request limits enforced before anything is forwarded.</summary>
    public LimitsOptions Limits { get; init; } = new();

    /// <summary>Requests, tokens and concurrent requests per key and per tenant on the proxied routes.</summary>
    public RateLimitSettings RateLimits { get; init; } = new();

    /// <summary>
    /// Per-cluster settings keyed by YARP cluster id, such as the backend's own API key that the gateway injects.
    /// </summary>
    public IDictionary<string, UpstreamOptions> Upstreams { get; init; } = new Dictionary<string, UpstreamOptions>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The backend used when no <c>ReverseProxy</c> section is configured. Default
    /// <c>http://127.0.0.1:8080</c>, the llama.cpp server's default port.
    /// </summary>
    public string DefaultBackend { get; init; } = DefaultProxyConfiguration.DefaultBackendAddress;
}

/// <summary>Client authentication settings (<c>Guardrail:Auth</c>).</summary>
public sealed class AuthOptions
{
    /// <summary>
    /// When true, requests without a key are accepted as tenant <c>anonymous</c>. A request that presents a
    /// wrong key is still rejected. Default false.
    /// </summary>
    public bool AllowAnonymous { get; init; }

    /// <summary>The gateway keys clients may present as <c>Authorization: Bearer &lt;key&gt;</c>.</summary>
    public IList<GatewayKeyOptions> Keys { get; init; } = [];

    /// <summary>Keys that open operator endpoints (<c>/metrics</c>, the admin API, the review page). Separate from client keys.</summary>
    public IList<AdminKeyOptions> AdminKeys { get; init; } = [];

    /// <summary>
    /// Opt-in for local use: when no keys are configured and anonymous access is off, generate a key into this
    /// file (mode 0600; reused on later starts) for tenant <c>dev</c>. Never set this in production.
    /// </summary>
    public string? DevelopmentKeyFile { get; init; }

    /// <summary>
    /// Opt-in for local use: when no admin keys are configured, generate an admin key into this file (mode 0600;
    /// reused on later starts) for the review page, the admin API and <c>/metrics</c>. Never set this in production.
    /// </summary>
    public string? DevelopmentAdminKeyFile { get; init; }

    /// <summary>
    /// A JSON file with more keys, <c>{"Keys": [...], "AdminKeys": [...]}</c> (the same entries as <see cref="Keys"/>
    /// and <see cref="AdminKeys"/>), read at start-up and again whenever the file or its directory changes, so that a
    /// mounted Kubernetes Secret (whose files are swapped through a <c>..data</c> link) rotates keys without a restart.
    /// A change that is not valid is logged and the last good keys stay. Relative to the content root. Default none.
    /// </summary>
    public string? KeyFile { get; init; }

    /// <summary>
    /// How long a key removed from <see cref="KeyFile"/> keeps working after the change, so that clients can move to
    /// its successor. Default 0 (a removed key is refused at once); range 0 to 7 days. A key whose
    /// <c>Expires</c> has passed is refused whatever the overlap.
    /// </summary>
    public TimeSpan RotationOverlap { get; init; }
}

/// <summary>One gateway key (<c>Guardrail:Auth:Keys:N</c>).</summary>
public sealed class GatewayKeyOptions
{
    /// <summary>A stable, non-secret id for the key, recorded in logs and audit records instead of the key.</summary>
    public string? Id { get; init; }

    /// <summary>The tenant this key belongs to; policies and audit records are per tenant.</summary>
    public string? Tenant { get; init; }

    /// <summary>The key in clear text. Prefer <see cref="KeyHash"/> for keys at rest.</summary>
    public string? Key { get; init; }

    /// <summary>The key's SHA-256 as <c>sha256:&lt;64 hex digits&gt;</c> (e.g. <c>printf %s "$KEY" | sha256sum</c>).</summary>
    public string? KeyHash { get; init; }

    /// <summary>When the key stops working (ISO 8601 with an offset, e.g. <c>2027-01-31T00:00:00Z</c>). Default never.</summary>
    public DateTimeOffset? Expires { get; init; }
}

/// <summary>Request limits (<c>Guardrail:Limits</c>).</summary>
public sealed class LimitsOptions
{
    /// <summary>Largest request body accepted, in bytes. Default 4 MiB; range 1 byte to 1 GiB.</summary>
    public long MaxRequestBodyBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Most messages in a chat request (or prompts in a legacy completion request). Default 2048; range 1 to 100000.</summary>
    public int MaxMessages { get; init; } = 2048;

    /// <summary>
    /// Largest non-streamed backend response a moderated route holds to check, in bytes. Default 16 MiB. A larger
    /// one cannot be checked and is treated as a classifier failure (the policy's <c>on_error</c>). Range 1 KiB to 1 GiB.
    /// </summary>
    public long MaxResponseBodyBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Time a client has to send all request headers; a slower one is closed (slowloris). Default 30 s; range 1 s to 5 minutes.</summary>
    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an idle keep-alive connection stays open. Default 130 s; range 1 s to 1 hour.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(130);

    /// <summary>Largest total size of a request's headers, in bytes (431 beyond). Default 32 KiB; range 1 KiB to 1 MiB.</summary>
    public int MaxRequestHeadersBytes { get; init; } = 32 * 1024;

    /// <summary>Most headers in a request (431 beyond). Default 100; range 1 to 1000.</summary>
    public int MaxRequestHeaderCount { get; init; } = 100;

    /// <summary>Longest HTTP/1.1 request line (method, target, version), in bytes (414 beyond). Default 8 KiB; range 256 bytes to 64 KiB.</summary>
    public int MaxRequestLineBytes { get; init; } = 8 * 1024;

    /// <summary>
    /// Slowest a request body may arrive, in bytes per second averaged after <see cref="MinDataRateGracePeriod"/>; a
    /// client trickling its body slower is cut off (408). Default 240; range 1 to 1e9.
    /// </summary>
    public double MinRequestBodyBytesPerSecond { get; init; } = 240;

    /// <summary>
    /// Slowest a client may read a response, in bytes per second after <see cref="MinDataRateGracePeriod"/>; a client
    /// that stops reading a stream is disconnected, which cancels its classifier work. Default 240; range 1 to 1e9.
    /// </summary>
    public double MinResponseBytesPerSecond { get; init; } = 240;

    /// <summary>How long a slow body or reader is tolerated before the minimum rates apply. Default 5 s; range 2 s (Kestrel needs more than its 1 s heartbeat) to 5 minutes.</summary>
    public TimeSpan MinDataRateGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Most open connections (upgraded ones included); further ones are refused. Default 0: no limit; range 0 to 10 million.</summary>
    public long MaxConcurrentConnections { get; init; }

    /// <summary>Most concurrent HTTP/2 streams per connection. Default 100; range 1 to 1000.</summary>
    public int Http2MaxStreamsPerConnection { get; init; } = 100;

    /// <summary>Largest HTTP/2 frame payload accepted, in bytes. Default 16 KiB; range 16 KiB to 16 MiB - 1 (RFC 9113).</summary>
    public int Http2MaxFrameBytes { get; init; } = 16 * 1024;

    /// <summary>Largest HTTP/2 header field (after HPACK decoding), in bytes. Default 16 KiB; range 1 KiB to 1 MiB.</summary>
    public int Http2MaxHeaderFieldBytes { get; init; } = 16 * 1024;

    /// <summary>How much an HTTP/2 client may send on one stream before the gateway reads it, in bytes (bounds per-stream buffering). Default 768 KiB; range 64 KiB to 16 MiB.</summary>
    public int Http2InitialStreamWindowBytes { get; init; } = 768 * 1024;
}

/// <summary>
/// Rate limits (<c>Guardrail:RateLimits</c>) on the proxied model routes: a key is held to its own rule
/// (<see cref="Keys"/>, else <see cref="Default"/>), and all of a tenant's keys together to the tenant's rule
/// (<see cref="Tenants"/>), if it has one. Shared across replicas through Redis when <c>Guardrail:Cache:Redis</c> is set.
/// </summary>
public sealed class RateLimitSettings
{
    /// <summary>The rule of every key without its own entry in <see cref="Keys"/>. Default: no limits.</summary>
    public RateLimitRule Default { get; init; } = new();

    /// <summary>Rules by key id (<c>Guardrail:Auth:Keys:N:Id</c>), replacing <see cref="Default"/> for that key.</summary>
    public IDictionary<string, RateLimitRule> Keys { get; init; } = new Dictionary<string, RateLimitRule>(StringComparer.Ordinal);

    /// <summary>Rules by tenant, for all of the tenant's keys together.</summary>
    public IDictionary<string, RateLimitRule> Tenants { get; init; } = new Dictionary<string, RateLimitRule>(StringComparer.Ordinal);

    /// <summary>
    /// Replicas sharing the limits through Redis. While Redis cannot be reached, each replica enforces every limit
    /// divided by this count on its own (at least 1), so the fleet stays near the limit. Default 1; range 1 to 1000.
    /// </summary>
    public int ReplicaCount { get; init; } = 1;

    /// <summary>Whether any rule limits anything (otherwise the limits cost nothing and send no headers).</summary>
    internal bool AnyLimit => !Default.IsEmpty || Keys.Values.Any(static rule => !rule.IsEmpty) || Tenants.Values.Any(static rule => !rule.IsEmpty);
}

/// <summary>One rate-limit rule; 0 (the default of each) is no limit.</summary>
public sealed class RateLimitRule
{
    /// <summary>Requests per minute (a sliding minute: a request's share returns continuously). Range 0 to 1000000.</summary>
    public int RequestsPerMinute { get; init; }

    /// <summary>
    /// Tokens per minute: prompt tokens charged before forwarding (counted with the classifier's Llama 3 tokenizer,
    /// estimated as one per four characters while no model is loaded) plus completion tokens from the backend's
    /// <c>usage</c>. Range 0 to 1000000000.
    /// </summary>
    public long TokensPerMinute { get; init; }

    /// <summary>Requests in flight at once, counted per replica. Range 0 to 100000.</summary>
    public int ConcurrentRequests { get; init; }

    /// <summary>Whether the rule limits anything.</summary>
    internal bool IsEmpty => RequestsPerMinute == 0 && TokensPerMinute == 0 && ConcurrentRequests == 0;
}

/// <summary>Settings of one backend cluster (<c>Guardrail:Upstreams:&lt;clusterId&gt;</c>).</summary>
public sealed class UpstreamOptions
{
    /// <summary>The backend's own API key, injected by the gateway. The client's gateway key is never forwarded.</summary>
    public string? ApiKey { get; init; }

    /// <summary>
    /// The header that carries <see cref="ApiKey"/>. Default <c>Authorization</c>, sent as <c>Bearer &lt;key&gt;</c>;
    /// any other header name (such as <c>api-key</c>) carries the key as it is.
    /// </summary>
    public string ApiKeyHeader { get; init; } = "Authorization";
}

/// <summary>One admin key (<c>Guardrail:Auth:AdminKeys:N</c>).</summary>
public sealed class AdminKeyOptions
{
    /// <summary>A stable, non-secret id for the key.</summary>
    public string? Id { get; init; }

    /// <summary>The key in clear text. Prefer <see cref="KeyHash"/>.</summary>
    public string? Key { get; init; }

    /// <summary>The key's SHA-256 as <c>sha256:&lt;64 hex digits&gt;</c>.</summary>
    public string? KeyHash { get; init; }

    /// <summary>When the key stops working (ISO 8601 with an offset). Default never.</summary>
    public DateTimeOffset? Expires { get; init; }

    /// <summary>The tenants whose decisions this key sees on the admin API and the review page. Default empty: every tenant.</summary>
    public IList<string> Tenants { get; init; } = [];

    /// <summary>
    /// What this key may do: <c>Read</c> (list, read, count decisions), <c>Label</c>, <c>Export</c>. Default empty:
    /// every role. Only a key with neither tenants nor roles set may list the admin-action trail.
    /// </summary>
    public IList<string> Roles { get; init; } = [];
}

/// <summary>How the gateway logs (<c>Guardrail:Logging</c>); levels stay under the standard <c>Logging</c> section.</summary>
public sealed class LoggingOptions
{
    /// <summary>
    /// Write console logs as one JSON object per line (timestamp in UTC, level, category, event id, message and the
    /// message's named values) for a log shipper, instead of the human-readable format. Default false.
    /// </summary>
    public bool Json { get; init; }
}

/// <summary>
/// OpenTelemetry traces (<c>Guardrail:Tracing</c>), exported over OTLP. Off unless an endpoint is configured, here or
/// through the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> / <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c> variables; the
/// other <c>OTEL_*</c> variables (headers, timeout, service name, resource attributes) are read as the SDK reads them.
/// </summary>
public sealed class TracingOptions
{
    /// <summary>
    /// Unset (the default): trace when an endpoint is configured. <c>false</c> turns tracing off even then;
    /// <c>true</c> without an endpoint is a configuration error.
    /// </summary>
    public bool? Enabled { get; init; }

    /// <summary>
    /// The collector's OTLP address, such as <c>http://otel-collector:4317</c>; it wins over the <c>OTEL_*</c>
    /// endpoint variables. Like <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, a base address: with <c>http/protobuf</c> spans
    /// go to <c>&lt;Endpoint&gt;/v1/traces</c>.
    /// </summary>
    public string? Endpoint { get; init; }

    /// <summary>
    /// <c>grpc</c> or <c>http/protobuf</c>. Unset: <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, else <c>grpc</c>.
    /// </summary>
    public string? Protocol { get; init; }

    /// <summary>
    /// The share of new traces recorded, 0 to 1 (default 1): a trace whose caller sent a sampled or unsampled
    /// <c>traceparent</c> follows the caller's choice.
    /// </summary>
    public double SampleRatio { get; init; } = 1.0;
}

/// <summary>The Prometheus endpoint (<c>Guardrail:Metrics</c>).</summary>
public sealed class MetricsOptions
{
    /// <summary>Serve <c>/metrics</c>. Default true.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// An extra listener, such as <c>http://0.0.0.0:9464</c>, that serves <c>/metrics</c> without a key; the main
    /// listener then does not serve it at all. Unset (the default): <c>/metrics</c> is on the main listener and
    /// needs an admin key.
    /// </summary>
    public string? ManagementUrl { get; init; }

    /// <summary>The management listener's port, when one is configured.</summary>
    internal int? ManagementPort => Uri.TryCreate(ManagementUrl, UriKind.Absolute, out var uri) ? uri.Port : null;
}

/// <summary>
/// The built-in generation backend (<c>Guardrail:LocalBackend</c>): a Llama 3 instruct model served by this process
/// on an internal loopback listener, as YARP cluster <c>local</c>, so that moderation, audit, metrics and limits are
/// exactly those of an external backend. With no <c>ReverseProxy</c> section the default routes go to it.
/// </summary>
public sealed class LocalBackendSettings
{
    /// <summary>The Llama 3 instruct GGUF file. Unset (default): no built-in backend.</summary>
    public string? ModelPath { get; init; }

    /// <summary>The model's name in <c>/v1/models</c> and in responses. Default: the file name without extension.</summary>
    public string? ModelId { get; init; }

    /// <summary>Layers on the GPU: -1 (default) all, 0 none (CPU only).</summary>
    public int GpuLayers { get; init; } = -1;

    /// <summary>Tokens one request may use, prompt plus completion (its KV budget). Default 4096.</summary>
    public int ContextSize { get; init; } = 4096;

    /// <summary>Requests generated together (sequences of the one context). Default 4.</summary>
    public int Parallel { get; init; } = 4;

    /// <summary>CPU threads; 0 (default) uses every core.</summary>
    public int Threads { get; init; }

    /// <summary>Requests that may wait for a free sequence before new ones are refused (503, Retry-After). Default 64.</summary>
    public int QueueCapacity { get; init; } = 64;
}

/// <summary>The in-process Llama Guard classifier (<c>Guardrail:Classifier</c>).</summary>
public sealed class ClassifierSettings
{
    /// <summary>
    /// The Llama Guard 3 GGUF file. Unset: moderated routes cannot be checked and fail closed (or open, per policy),
    /// and <c>/readyz</c> reports not ready.
    /// </summary>
    public string? ModelPath { get; init; }

    /// <summary>
    /// Which Llama Guard variant the model file holds (<c>llama-guard-3-1b</c> or <c>llama-guard-3-8b</c>), for files
    /// whose metadata does not say or says wrong. Unset (default): read from the file. Decides which categories
    /// prompts list (the 1B model knows S1-S13).
    /// </summary>
    public string? Variant { get; init; }

    /// <summary>Layers on the GPU: -1 (default) all, 0 none (CPU only).</summary>
    public int GpuLayers { get; init; } = -1;

    /// <summary>Fail start-up instead of falling back to the CPU when no usable GPU is found. Default false.</summary>
    public bool RequireGpu { get; init; }

    /// <summary>Tokens one check may use (prompt plus verdict); longer conversations are truncated. Default 4096.</summary>
    public int ContextSize { get; init; } = 4096;

    /// <summary>Checks decoded together in one batch. Default 4.</summary>
    public int MaxBatchSequences { get; init; } = 4;

    /// <summary>KV cells kept for earlier checks' prompts, so that a chat's next check decodes only its new messages;
    /// 0 turns it off. Default 4096.</summary>
    public int ConversationCacheTokens { get; init; } = 4096;

    /// <summary>Earlier checks' prompts kept at most (a chat keeps about one per role). Default 16.</summary>
    public int ConversationCacheSize { get; init; } = 16;

    /// <summary>Longest a check may wait and run before it counts as a classifier failure. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>CPU threads; 0 (default) uses every core.</summary>
    public int Threads { get; init; }

    /// <summary>Requests that may wait for the classifier before new ones are refused. Default 256.</summary>
    public int QueueCapacity { get; init; } = 256;

    /// <summary>
    /// The most of the queue one tenant's waiting checks may hold; one more is refused at once (the policy's
    /// <c>on_error</c>). Default 0.5; range above 0 to 1.
    /// </summary>
    public double TenantQueueShare { get; init; } = 0.5;

    /// <summary>Round-robin weights of tenants' classifier queues (tenant to weight, 1 to 1000); tenants not named weigh 1.</summary>
    public IDictionary<string, int> TenantWeights { get; init; } = new Dictionary<string, int>(StringComparer.Ordinal);

    /// <summary>
    /// A pool of remote Llama Guard servers (<c>Guardrail:Classifier:Remote</c>); when it has endpoints, checks go
    /// there instead of to a model loaded here, and <see cref="ModelPath"/> must be unset.
    /// </summary>
    public RemoteClassifierOptions Remote { get; init; } = new();
}

/// <summary>Policy and taxonomy files (<c>Guardrail:Policies</c>).</summary>
public sealed class PolicySettings
{
    /// <summary>The folder of policy YAML files. Default <c>policies</c> (relative to the content root).</summary>
    public string Directory { get; init; } = "policies";

    /// <summary>The folder of taxonomy YAML files. Default <c>taxonomy</c>.</summary>
    public string TaxonomyDirectory { get; init; } = "taxonomy";

    /// <summary>Reload files when they change. Default true.</summary>
    public bool Watch { get; init; } = true;
}

/// <summary>The audit log (<c>Guardrail:Audit</c>).</summary>
public sealed class AuditSettings
{
    /// <summary>The SQLite database file. Default <c>data/audit.db</c> (relative to the content root).</summary>
    public string DatabasePath { get; init; } = "data/audit.db";

    /// <summary>A PostgreSQL connection string or <c>postgres://</c> URL; when set, decisions go to that server (shared
    /// by every replica) and <see cref="DatabasePath"/> is not used. Default empty (SQLite).</summary>
    public string ConnectionString { get; init; } = "";

    /// <summary>How much content is kept: <c>Full</c>, <c>Redacted</c> (default), <c>Hash</c> or <c>None</c>. A policy may override it.</summary>
    public ContentRetention ContentRetention { get; init; } = ContentRetention.Redacted;

    /// <summary>Days a decision is kept; 0 (default) keeps them forever; range 0 to 36500.</summary>
    public int RetentionDays { get; init; }

    /// <summary>How often the background purge runs when <see cref="RetentionDays"/> is set. Default 1 hour; 00:00:00 turns it off.</summary>
    public TimeSpan PurgeInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Decisions that may wait for the writer before new ones are refused (the policy's <c>on_error</c>). Default 10000; range 1 to 1000000.</summary>
    public int QueueCapacity { get; init; } = 10_000;

    /// <summary>Most decisions written in one transaction (group commit). Default 1000; range 1 to 100000.</summary>
    public int MaxBatchSize { get; init; } = 1_000;

    /// <summary>How long a decision may wait for room in a full queue. Default 2 s; range 0 to 5 minutes.</summary>
    public TimeSpan EnqueueTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a write waits for a lock held by another process. Default 10 s; range 1 s to 10 minutes.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>Backend resilience (<c>Guardrail:Upstream</c>), applied per cluster.</summary>
public sealed class UpstreamResilienceSettings
{
    /// <summary>Longest wait for a backend connection. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Retries of a connection that could not be made (nothing was sent yet). Default 2; 0 turns retries off.</summary>
    public int ConnectRetries { get; init; } = 2;

    /// <summary>First retry delay, doubled each time, with jitter. Default 100 ms.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Share of failed requests in the sampling window that opens a cluster's breaker. Default 0.5.</summary>
    public double BreakerFailureRatio { get; init; } = 0.5;

    /// <summary>Requests in the window before the breaker may open. Default 10.</summary>
    public int BreakerMinimumThroughput { get; init; } = 10;

    /// <summary>The window the failure ratio is measured over. Default 30 s.</summary>
    public TimeSpan BreakerSamplingDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open breaker refuses requests before trying one. Default 15 s.</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(15);
}

/// <summary>
/// The verdict cache (<c>Guardrail:Cache</c>): in this process by default, shared through Redis when
/// <see cref="Redis"/> is set. Cache trouble never fails a request; it only costs classifications.
/// </summary>
public sealed class CacheSettings
{
    /// <summary>Cache verdicts at all. Default true.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>How long a verdict is reused, in seconds. Default 3600; range 1 to 2592000 (30 days).</summary>
    public int TtlSeconds { get; init; } = 3600;

    /// <summary>Most verdicts the in-process cache keeps (least recently used go first). Default 10000; range 1 to 10000000.</summary>
    public int MaxEntries { get; init; } = 10_000;

    /// <summary>
    /// Share verdicts through Redis: <c>redis://[[user]:password@]host[:port][/db]</c>, or <c>rediss://</c> for TLS.
    /// Unset (the default): the in-process cache.
    /// </summary>
    public string? Redis { get; init; }

    /// <summary>A CA certificate file (PEM or DER) that the Redis server's TLS certificate must chain to, instead of the system store.</summary>
    public string? RedisCaCertificatePath { get; init; }

    /// <summary>How long one Redis command may take, in milliseconds. Default 500; range 1 to 60000.</summary>
    public int RedisTimeoutMilliseconds { get; init; } = 500;

    /// <summary>How long connecting (TLS and AUTH included) may take, in milliseconds. Default 2000; range 1 to 60000.</summary>
    public int RedisConnectTimeoutMilliseconds { get; init; } = 2000;

    /// <summary>Prefix of every key the gateway writes to Redis. Default <c>guardrail:</c>.</summary>
    public string RedisKeyPrefix { get; init; } = "guardrail:";

    /// <summary>
    /// How long Redis is skipped once the breaker opens (half of at least 5 operations failed within 10 s), in
    /// milliseconds. Default 5000; range 100 to 600000.
    /// </summary>
    public int BreakMilliseconds { get; init; } = 5000;
}
