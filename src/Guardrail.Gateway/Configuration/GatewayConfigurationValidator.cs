using System.Globalization;
using Guardrail.Classification;
using Guardrail.Gateway.Authentication;

namespace Guardrail.Gateway.Configuration;

/// <summary>The outcome of validating the configuration: what stops start-up, and what start-up should say.</summary>
internal sealed record GatewayConfigurationReport(IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings)
{
    public bool UsesDefaultProxy { get; init; }
}

/// <summary>
/// Checks the <c>Guardrail</c> and <c>ReverseProxy</c> sections before anything is built. Every error is collected,
/// each naming the key that is wrong and what to do, so that an operator fixes them all in one pass.
/// </summary>
internal static class GatewayConfigurationValidator
{
    private const string ProxySection = "ReverseProxy";
    private const long MaxBodyLimit = 1L << 30;

    /// <param name="configuration">The whole configuration (for YARP's <c>ReverseProxy</c> section).</param>
    /// <param name="options">The bound <c>Guardrail</c> section.</param>
    /// <param name="contentRoot">What relative paths are relative to.</param>
    public static GatewayConfigurationReport Validate(IConfiguration configuration, GuardrailOptions options, string contentRoot)
    {
        var errors = new List<string>();
        var warnings = new List<string>();

        var proxy = configuration.GetSection(ProxySection);
        var usesDefaultProxy = !proxy.Exists();
        var clusterIds = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        var localBackend = !string.IsNullOrWhiteSpace(options.LocalBackend.ModelPath);
        if (usesDefaultProxy && localBackend)
        {
            clusterIds.Add(DefaultProxyConfiguration.LocalClusterId);
        }
        else if (usesDefaultProxy)
        {
            ValidateAddress(options.DefaultBackend, "Guardrail:DefaultBackend", errors);
            clusterIds.Add(DefaultProxyConfiguration.ClusterId);
            warnings.Add(
                $"No '{ProxySection}' section is configured: using the default route '{DefaultProxyConfiguration.PathPattern}' "
                + $"to cluster '{DefaultProxyConfiguration.ClusterId}' at {options.DefaultBackend}. "
                + "Set Guardrail:DefaultBackend to point it elsewhere, set Guardrail:LocalBackend:ModelPath to serve a model from this process, "
                + "or configure ReverseProxy:Routes and ReverseProxy:Clusters (README, Configuration).");
        }
        else
        {
            ValidateClusters(proxy.GetSection("Clusters"), clusterIds, errors);
            if (localBackend && !clusterIds.Add(DefaultProxyConfiguration.LocalClusterId))
            {
                errors.Add($"ReverseProxy:Clusters:{DefaultProxyConfiguration.LocalClusterId} is the built-in backend's cluster while Guardrail:LocalBackend:ModelPath is set: rename your cluster.");
            }

            ValidateRoutes(proxy.GetSection("Routes"), clusterIds, errors);
        }

        var keyFileIds = ValidateAuth(options.Auth, contentRoot, errors, warnings);
        ValidateUpstreams(options, clusterIds, errors);
        ValidateMetrics(options.Metrics, errors);
        _ = Tracing.TracingConfiguration.Read(options.Tracing, configuration, errors);
        ValidateUpstreamResilience(options.Upstream, errors);
        ValidateCache(options.Cache, errors);
        ValidateClassifierVariant(options.Classifier, errors);

        ValidateLimits(options.Limits, errors);
        ValidateRateLimits(options.RateLimits, options.Auth, keyFileIds, errors);
        ValidateClassifier(options.Classifier, contentRoot, errors);
        ValidateLocalBackend(options, contentRoot, errors);
        ValidateAudit(options.Audit, contentRoot, errors);
        ValidatePolicies(options.Policies, contentRoot, errors);
        if (options.Cache.RedisCaCertificatePath is { } ca && !File.Exists(Path.GetFullPath(ca, contentRoot)))
        {
            errors.Add($"Guardrail:Cache:RedisCaCertificatePath '{ca}' does not exist: name the CA certificate file (PEM or DER) the Redis server's certificate chains to.");
        }

        return new GatewayConfigurationReport(errors, warnings) { UsesDefaultProxy = usesDefaultProxy };
    }

    private static void ValidateClassifierVariant(ClassifierSettings classifier, List<string> errors)
    {
        if (classifier.Variant is { } variant && GuardModelVariant.Find(variant) is null)
        {
            errors.Add(
                $"Guardrail:Classifier:Variant '{variant}' is not a Llama Guard variant: use one of "
                + string.Join(", ", GuardModelVariant.Known.Select(static known => known.Id))
                + ", or remove it to read the variant from the model file's metadata.");
        }
    }

    private static void ValidateLimits(LimitsOptions limits, List<string> errors)
    {
        LongRange("Guardrail:Limits:MaxRequestBodyBytes", limits.MaxRequestBodyBytes, 1, MaxBodyLimit, "bytes", errors);
        LongRange("Guardrail:Limits:MaxResponseBodyBytes", limits.MaxResponseBodyBytes, 1024, MaxBodyLimit, "bytes", errors);
        Range("Guardrail:Limits:MaxMessages", limits.MaxMessages, 1, 100_000, "messages", errors);
        TimeRange("Guardrail:Limits:RequestHeadersTimeout", limits.RequestHeadersTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), errors);
        TimeRange("Guardrail:Limits:KeepAliveTimeout", limits.KeepAliveTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1), errors);
        TimeRange("Guardrail:Limits:MinDataRateGracePeriod", limits.MinDataRateGracePeriod, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(5), errors);
        Range("Guardrail:Limits:MaxRequestHeadersBytes", limits.MaxRequestHeadersBytes, 1024, 1024 * 1024, "bytes", errors);
        Range("Guardrail:Limits:MaxRequestHeaderCount", limits.MaxRequestHeaderCount, 1, 1000, "headers", errors);
        Range("Guardrail:Limits:MaxRequestLineBytes", limits.MaxRequestLineBytes, 256, 64 * 1024, "bytes", errors);
        LongRange("Guardrail:Limits:MaxConcurrentConnections", limits.MaxConcurrentConnections, 0, 10_000_000, "connections", errors);
        Range("Guardrail:Limits:Http2MaxStreamsPerConnection", limits.Http2MaxStreamsPerConnection, 1, 1000, "streams", errors);
        Range("Guardrail:Limits:Http2MaxFrameBytes", limits.Http2MaxFrameBytes, 16 * 1024, (16 * 1024 * 1024) - 1, "bytes", errors);
        Range("Guardrail:Limits:Http2MaxHeaderFieldBytes", limits.Http2MaxHeaderFieldBytes, 1024, 1024 * 1024, "bytes", errors);
        Range("Guardrail:Limits:Http2InitialStreamWindowBytes", limits.Http2InitialStreamWindowBytes, 64 * 1024, 16 * 1024 * 1024, "bytes", errors);
        foreach (var (key, rate) in new[] { ("MinRequestBodyBytesPerSecond", limits.MinRequestBodyBytesPerSecond), ("MinResponseBytesPerSecond", limits.MinResponseBytesPerSecond) })
        {
            if (!(rate >= 1 && rate <= 1e9))
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"Guardrail:Limits:{key} is {rate}: set a number of bytes per second from 1 to 1000000000."));
            }
        }
    }

    private static void TimeRange(string key, TimeSpan value, TimeSpan min, TimeSpan max, List<string> errors)
    {
        if (value < min || value > max)
        {
            errors.Add($"{key} is {value}: set a duration from {min} to {max}.");
        }
    }

    private static void ValidateRateLimits(RateLimitSettings limits, AuthOptions auth, IReadOnlyList<string> keyFileIds, List<string> errors)
    {
        const string section = "Guardrail:RateLimits";
        Range($"{section}:ReplicaCount", limits.ReplicaCount, 1, 1000, "replicas", errors);
        ValidateRateLimitRule($"{section}:Default", limits.Default, errors);
        var keyIds = auth.Keys.Select(static key => key.Id).OfType<string>().Concat(keyFileIds).ToHashSet(StringComparer.Ordinal);
        foreach (var (id, rule) in limits.Keys)
        {
            if (!keyIds.Contains(id))
            {
                errors.Add($"{section}:Keys:{id} names no key: use an Id from Guardrail:Auth:Keys or the key file.");
            }

            ValidateRateLimitRule($"{section}:Keys:{id}", rule, errors);
        }

        foreach (var (tenant, rule) in limits.Tenants)
        {
            ValidateRateLimitRule($"{section}:Tenants:{tenant}", rule, errors);
        }
    }

    private static void ValidateRateLimitRule(string key, RateLimitRule rule, List<string> errors)
    {
        Range($"{key}:RequestsPerMinute", rule.RequestsPerMinute, 0, 1_000_000, "requests", errors);
        LongRange($"{key}:TokensPerMinute", rule.TokensPerMinute, 0, 1_000_000_000, "tokens", errors);
        Range($"{key}:ConcurrentRequests", rule.ConcurrentRequests, 0, 100_000, "requests", errors);
    }

    // The engine's own validation, run on the options the gateway would give it, so that a bad value stops start-up
    // here with its key instead of failing the model load later (where it only shows in /readyz).
    private static void ValidateClassifier(ClassifierSettings classifier, string contentRoot, List<string> errors)
    {
        const string section = "Guardrail:Classifier";
        var modelPath = string.IsNullOrWhiteSpace(classifier.ModelPath) ? null : Path.GetFullPath(classifier.ModelPath, contentRoot);
        foreach (var problem in Classification.ClassifierHost.OptionsFrom(classifier, modelPath ?? "unset").Validate())
        {
            errors.Add($"{section}:{problem}");
        }

        if (modelPath is not null && !File.Exists(modelPath))
        {
            errors.Add($"{section}:ModelPath '{classifier.ModelPath}' does not exist: name a Llama Guard 3 GGUF file (guardrail model pull llama-guard-3-1b fetches one), or remove the setting.");
        }

        var remote = classifier.Remote;
        errors.AddRange(remote.Validate($"{section}:Remote"));
        if (remote.IsEnabled && modelPath is not null)
        {
            errors.Add($"{section}:ModelPath is set and so is {section}:Remote:Endpoints: checks go either to a model loaded here or to the remote pool; remove one.");
        }

        if (!string.IsNullOrWhiteSpace(remote.TokenizerPath) && !File.Exists(Path.GetFullPath(remote.TokenizerPath, contentRoot)))
        {
            errors.Add($"{section}:Remote:TokenizerPath '{remote.TokenizerPath}' does not exist: name the Llama Guard 3 GGUF file or llama.cpp's ggml-vocab-llama-bpe.gguf.");
        }
    }

    private static void ValidateLocalBackend(GuardrailOptions options, string contentRoot, List<string> errors)
    {
        const string section = "Guardrail:LocalBackend";
        var backend = options.LocalBackend;
        if (string.IsNullOrWhiteSpace(backend.ModelPath))
        {
            return;
        }

        // The server's own validation (file present, ranges) on the options the gateway would give it.
        foreach (var problem in LocalBackend.LocalBackendHost.OptionsFrom(options, Path.GetFullPath(backend.ModelPath, contentRoot)).Validate())
        {
            errors.Add($"{section}:{problem}");
        }
    }

    private static void ValidateAudit(AuditSettings audit, string contentRoot, List<string> errors) =>
        errors.AddRange(Auditing.AuditHost.OptionsFrom(audit, contentRoot).Validate());

    private static void ValidatePolicies(PolicySettings policies, string contentRoot, List<string> errors)
    {
        foreach (var (key, directory) in new[] { ("Directory", policies.Directory), ("TaxonomyDirectory", policies.TaxonomyDirectory) })
        {
            if (string.IsNullOrWhiteSpace(directory))
            {
                errors.Add($"Guardrail:Policies:{key} is empty: name a folder of YAML files.");
            }
            else if (!System.IO.Directory.Exists(Path.GetFullPath(directory, contentRoot)))
            {
                errors.Add($"Guardrail:Policies:{key} '{directory}' does not exist: name a folder of {(string.Equals(key, "Directory", StringComparison.Ordinal) ? "policy" : "taxonomy")} YAML files.");
            }
        }
    }

    private static void ValidateClusters(IConfigurationSection clusters, HashSet<string> clusterIds, List<string> errors)
    {
        if (!clusters.GetChildren().Any())
        {
            errors.Add("ReverseProxy:Clusters is empty: add at least one cluster with a destination address, e.g. ReverseProxy:Clusters:llm:Destinations:main:Address = http://127.0.0.1:8080.");
        }

        foreach (var cluster in clusters.GetChildren())
        {
            clusterIds.Add(cluster.Key);
            var destinations = cluster.GetSection("Destinations").GetChildren().ToList();
            if (destinations.Count == 0)
            {
                errors.Add($"{cluster.Path}:Destinations is empty: add a destination, e.g. {cluster.Path}:Destinations:main:Address = http://127.0.0.1:8080.");
            }

            foreach (var destination in destinations)
            {
                ValidateAddress(destination["Address"], destination.Path + ":Address", errors);
            }
        }
    }

    private static void ValidateRoutes(IConfigurationSection routes, HashSet<string> clusterIds, List<string> errors)
    {
        if (!routes.GetChildren().Any())
        {
            errors.Add("ReverseProxy:Routes is empty: add a route, e.g. ReverseProxy:Routes:openai:ClusterId = llm with Match:Path = /v1/{**path}.");
        }

        foreach (var route in routes.GetChildren())
        {
            var clusterId = route["ClusterId"];
            if (string.IsNullOrWhiteSpace(clusterId))
            {
                errors.Add($"{route.Path}:ClusterId is missing: name one of the clusters under ReverseProxy:Clusters ({Known(clusterIds)}).");
            }
            else if (!clusterIds.Contains(clusterId))
            {
                errors.Add($"{route.Path}:ClusterId '{clusterId}' names no cluster: use one of ReverseProxy:Clusters ({Known(clusterIds)}) or add a cluster '{clusterId}'.");
            }

            if (string.IsNullOrWhiteSpace(route["Match:Path"]) && string.IsNullOrWhiteSpace(route["Match:Hosts:0"]))
            {
                errors.Add($"{route.Path}:Match needs a Path (e.g. /v1/{{**path}}) or Hosts.");
            }

            var policy = route["AuthorizationPolicy"];
            if (policy is not null && !Authentication.GatewayAuthorization.RoutePolicies.Contains(policy, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add($"{route.Path}:AuthorizationPolicy '{policy}' is not a policy of this gateway: use {string.Join(", ", Authentication.GatewayAuthorization.RoutePolicies)}, or remove it (the default is '{Authentication.GatewayAuthorization.ClientPolicy}': a client key).");
            }

            var api = route[$"Metadata:{Moderation.ModeratedRoute.ApiKey}"];
            if (api is not null && !Moderation.ModeratedRoute.TryParseApi(api, out _))
            {
                errors.Add($"{route.Path}:Metadata:{Moderation.ModeratedRoute.ApiKey} '{api}' is not a moderated API: use '{Moderation.ModeratedRoute.ChatApi}', '{Moderation.ModeratedRoute.CompletionsApi}' or '{Moderation.ModeratedRoute.ResponsesApi}', or remove it for a pass-through route.");
            }
        }
    }

    /// <returns>The client key ids in <c>Guardrail:Auth:KeyFile</c> (empty when there is none).</returns>
    private static IReadOnlyList<string> ValidateAuth(AuthOptions auth, string contentRoot, List<string> errors, List<string> warnings)
    {
        var keyFile = string.IsNullOrWhiteSpace(auth.KeyFile) ? null : Path.GetFullPath(auth.KeyFile, contentRoot);
        if (auth.Keys.Count == 0 && keyFile is null)
        {
            if (auth.AllowAnonymous)
            {
                warnings.Add("Guardrail:Auth:AllowAnonymous is true and no keys are configured: every client is accepted as tenant 'anonymous'.");
            }
            else if (string.IsNullOrWhiteSpace(auth.DevelopmentKeyFile))
            {
                errors.Add("Guardrail:Auth:Keys is empty and Guardrail:Auth:AllowAnonymous is false, so no client could be served: add a key (Guardrail:Auth:Keys:0:Id, :Tenant and :Key or :KeyHash), or set Guardrail:Auth:AllowAnonymous = true.");
            }
        }

        ValidateKeys("Guardrail:Auth", auth.Keys, auth.AdminKeys, errors);
        if (auth.RotationOverlap < TimeSpan.Zero || auth.RotationOverlap > TimeSpan.FromDays(7))
        {
            errors.Add($"Guardrail:Auth:RotationOverlap {auth.RotationOverlap} is outside 0 to 7 days.");
        }

        if (keyFile is null)
        {
            return [];
        }

        var read = GatewayKeyFile.Read(keyFile);
        errors.AddRange(read.Errors.Select(e => $"Guardrail:Auth:KeyFile: {e}"));
        return read.Content?.Keys.Select(static key => key.Id).OfType<string>().ToList() ?? [];
    }

    /// <summary>Every problem with a set of client and admin keys, each named by <paramref name="section"/>, the entry's index and field.</summary>
    public static void ValidateKeys(string section, IList<GatewayKeyOptions> keys, IList<AdminKeyOptions> adminKeys, List<string> errors)
    {
        ValidateKeyEntries($"{section}:Keys", keys.Select(k => (k.Id, k.Tenant, k.Key, k.KeyHash)).ToList(), requireTenant: true, errors);
        ValidateKeyEntries($"{section}:AdminKeys", adminKeys.Select(k => (k.Id, (string?)null, k.Key, k.KeyHash)).ToList(), requireTenant: false, errors);
        for (var i = 0; i < adminKeys.Count; i++)
        {
            var path = string.Create(CultureInfo.InvariantCulture, $"{section}:AdminKeys:{i}");
            if (adminKeys[i].Tenants.Any(string.IsNullOrWhiteSpace))
            {
                errors.Add($"{path}:Tenants has an empty entry: name each tenant, or leave Tenants out for every tenant.");
            }

            for (var r = 0; r < adminKeys[i].Roles.Count; r++)
            {
                if (!AdminScope.TryParseRole(adminKeys[i].Roles[r], out _))
                {
                    errors.Add(string.Create(CultureInfo.InvariantCulture, $"{path}:Roles:{r} '{adminKeys[i].Roles[r]}' is not a role: use Read, Label or Export."));
                }
            }
        }
    }

    private static void ValidateKeyEntries(string section, List<(string? Id, string? Tenant, string? Key, string? KeyHash)> keys, bool requireTenant, List<string> errors)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < keys.Count; i++)
        {
            var key = keys[i];
            var path = string.Create(CultureInfo.InvariantCulture, $"{section}:{i}");
            if (string.IsNullOrWhiteSpace(key.Id))
            {
                errors.Add($"{path}:Id is missing: give the key a non-secret id; logs and audit records name the key by it.");
            }
            else if (!ids.Add(key.Id))
            {
                errors.Add($"{path}:Id '{key.Id}' is used by another key: key ids must be unique.");
            }

            if (requireTenant && string.IsNullOrWhiteSpace(key.Tenant))
            {
                errors.Add($"{path}:Tenant is missing: name the tenant this key belongs to.");
            }

            var hasKey = !string.IsNullOrEmpty(key.Key);
            var hasHash = !string.IsNullOrEmpty(key.KeyHash);
            if (hasKey == hasHash)
            {
                errors.Add($"{path} needs exactly one of Key (clear text) or KeyHash (sha256:<64 hex digits>).");
            }
            else if (hasKey && key.Key!.Length < GatewayKeyStore.MinimumKeyLength)
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"{path}:Key is shorter than {GatewayKeyStore.MinimumKeyLength} characters: use a long random key, e.g. `openssl rand -hex 24`."));
            }
            else if (hasHash && !GatewayKeyStore.TryParseKeyHash(key.KeyHash!, out _))
            {
                errors.Add($"{path}:KeyHash is not 'sha256:' followed by 64 hex digits: compute it with `printf %s \"$KEY\" | sha256sum`.");
            }
        }
    }

    private static void ValidateUpstreamResilience(UpstreamResilienceSettings upstream, List<string> errors)
    {
        const string section = "Guardrail:Upstream";
        if (upstream.ConnectTimeout <= TimeSpan.Zero || upstream.ConnectTimeout > TimeSpan.FromMinutes(5))
        {
            errors.Add($"{section}:ConnectTimeout {upstream.ConnectTimeout} is outside 0 to 5 minutes.");
        }

        if (upstream.ConnectRetries is < 0 or > 10)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{section}:ConnectRetries {upstream.ConnectRetries} is outside 0 to 10."));
        }

        if (upstream.RetryDelay <= TimeSpan.Zero || upstream.RetryDelay > TimeSpan.FromSeconds(30))
        {
            errors.Add($"{section}:RetryDelay {upstream.RetryDelay} is outside 0 to 30 seconds.");
        }

        if (upstream.BreakerFailureRatio is <= 0 or > 1)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{section}:BreakerFailureRatio {upstream.BreakerFailureRatio} is outside (0, 1]."));
        }

        if (upstream.BreakerMinimumThroughput < 2)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{section}:BreakerMinimumThroughput {upstream.BreakerMinimumThroughput} must be at least 2."));
        }

        if (upstream.BreakerSamplingDuration < TimeSpan.FromMilliseconds(500) || upstream.BreakDuration < TimeSpan.FromMilliseconds(500))
        {
            errors.Add($"{section}:BreakerSamplingDuration and BreakDuration must each be at least 00:00:00.5.");
        }
    }

    private static void ValidateMetrics(MetricsOptions metrics, List<string> errors)
    {
        if (metrics.ManagementUrl is null)
        {
            return;
        }

        const string key = "Guardrail:Metrics:ManagementUrl";
        ValidateAddress(metrics.ManagementUrl, key, errors);
        if (Uri.TryCreate(metrics.ManagementUrl, UriKind.Absolute, out var uri) && (uri.IsDefaultPort || uri.Port == 0 || !string.Equals(uri.AbsolutePath, "/", StringComparison.Ordinal)))
        {
            errors.Add($"{key} '{metrics.ManagementUrl}' needs an explicit non-zero port and no path, e.g. http://0.0.0.0:9464.");
        }
    }

    private static void ValidateUpstreams(GuardrailOptions options, HashSet<string> clusterIds, List<string> errors)
    {
        foreach (var (clusterId, upstream) in options.Upstreams)
        {
            var path = $"Guardrail:Upstreams:{clusterId}";
            if (!clusterIds.Contains(clusterId))
            {
                errors.Add($"{path} names no cluster: use one of ReverseProxy:Clusters ({Known(clusterIds)}).");
            }

            if (string.IsNullOrWhiteSpace(upstream.ApiKeyHeader) || upstream.ApiKeyHeader.Any(c => c <= ' ' || c == ':' || c > '~'))
            {
                errors.Add($"{path}:ApiKeyHeader '{upstream.ApiKeyHeader}' is not a valid header name.");
            }
        }
    }

    private static void ValidateAddress(string? address, string key, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(address))
        {
            errors.Add($"{key} is missing: set an absolute http or https address such as http://127.0.0.1:8080.");
            return;
        }

        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri)
            || (!string.Equals(uri.Scheme, Uri.UriSchemeHttp, StringComparison.Ordinal) && !string.Equals(uri.Scheme, Uri.UriSchemeHttps, StringComparison.Ordinal))
            || string.IsNullOrEmpty(uri.Host))
        {
            errors.Add($"{key} '{address}' is not an absolute http or https address: use a form such as http://127.0.0.1:8080.");
        }
    }

    /// <summary>The policy ids routes name in <c>Guardrail.Policy</c> metadata; a policy set without one of them is invalid.</summary>
    public static IReadOnlyCollection<string> RequiredPolicyIds(IConfiguration configuration) =>
        [.. configuration.GetSection(ProxySection).GetSection("Routes").GetChildren()
            .Select(route => route[$"Metadata:{Moderation.ModeratedRoute.PolicyKey}"])
            .OfType<string>()
            .Where(id => id.Length > 0)
            .Distinct(StringComparer.Ordinal)];

    private static string Known(HashSet<string> ids) =>
        ids.Count == 0 ? "none configured" : string.Join(", ", ids.Order(StringComparer.Ordinal));

    private static void ValidateCache(CacheSettings cache, List<string> errors)
    {
        Range("Guardrail:Cache:TtlSeconds", cache.TtlSeconds, 1, 2_592_000, "seconds", errors);
        Range("Guardrail:Cache:MaxEntries", cache.MaxEntries, 1, 10_000_000, "entries", errors);
        Range("Guardrail:Cache:RedisTimeoutMilliseconds", cache.RedisTimeoutMilliseconds, 1, 60_000, "milliseconds", errors);
        Range("Guardrail:Cache:RedisConnectTimeoutMilliseconds", cache.RedisConnectTimeoutMilliseconds, 1, 60_000, "milliseconds", errors);
        Range("Guardrail:Cache:BreakMilliseconds", cache.BreakMilliseconds, 100, 600_000, "milliseconds", errors);
        if (cache.Redis is not null && !Redis.RedisEndpoint.TryParse(cache.Redis, out _, out var problem))
        {
            // The value may hold a password: name the key and the problem, never the value.
            errors.Add($"Guardrail:Cache:Redis is not a Redis URL: {problem}. Use redis://[[user]:password@]host[:port][/db] or rediss:// for TLS, or remove it for the in-process cache.");
        }

        if (cache.RedisCaCertificatePath is not null && cache.Redis is null)
        {
            errors.Add("Guardrail:Cache:RedisCaCertificatePath is set but Guardrail:Cache:Redis is not: set a rediss:// URL, or remove the certificate path.");
        }
    }

    private static void LongRange(string key, long value, long min, long max, string unit, List<string> errors)
    {
        if (value < min || value > max)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{key} is {value}: set a number of {unit} from {min} to {max}."));
        }
    }

    private static void Range(string key, int value, int min, int max, string unit, List<string> errors)
    {
        if (value < min || value > max)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{key} is {value}: set a number of {unit} from {min} to {max}."));
        }
    }
}
