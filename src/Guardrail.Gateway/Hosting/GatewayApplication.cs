using Guardrail.Auditing;
using Guardrail.Caching;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Guardrail.Gateway.Admin;
using Guardrail.Gateway.Admin.OpenApi;
using Guardrail.Classification;
using Guardrail.Gateway.Auditing;
using Guardrail.Gateway.Caching;
using Guardrail.Gateway.Authentication;
using Guardrail.Gateway.Classification;
using Guardrail.Gateway.Moderation;
using Guardrail.Gateway.Policies;
using Guardrail.Moderation;
using Guardrail.Policies;
using Yarp.ReverseProxy.Forwarder;
using Guardrail.Gateway.Configuration;
using Guardrail.Gateway.Errors;
using Guardrail.Gateway.Health;
using Guardrail.Gateway.Limits;
using Guardrail.Gateway.Metrics;
using Guardrail.Gateway.Proxy;
using Guardrail.Gateway.LocalBackend;
using Guardrail.Gateway.Tracing;
using Yarp.ReverseProxy.Configuration;

namespace Guardrail.Gateway.Hosting;

/// <summary>
/// The composition root. <see cref="Build"/> is what <c>Program</c> runs and what functional tests start on a
/// loopback port, so both exercise the same pipeline.
/// </summary>
public static class GatewayApplication
{
    /// <summary>Builds the gateway. Throws <see cref="GatewayConfigurationException"/> listing every configuration error.</summary>
    /// <param name="args">Command-line arguments (configuration overrides such as <c>--urls</c>).</param>
    /// <param name="configure">Lets a host or test add configuration sources before the configuration is read.</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        builder.AddGuardrailGateway();

        var app = builder.Build();
        app.UseGuardrailGateway();
        return app;
    }

    /// <summary>Registers the gateway's services: configuration, authentication, YARP and readiness.</summary>
    public static WebApplicationBuilder AddGuardrailGateway(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        var options = BindOptions(builder.Configuration);
        var report = GatewayConfigurationValidator.Validate(builder.Configuration, options, builder.Environment.ContentRootPath);
        if (report.Errors.Count > 0)
        {
            throw new GatewayConfigurationException(report.Errors);
        }

        var warnings = report.Warnings.ToList();
        string? developmentKey = null;
        if (options.Auth.Keys.Count == 0 && !options.Auth.AllowAnonymous && options.Auth.DevelopmentKeyFile is { } keyFile)
        {
            developmentKey = DevelopmentKey.LoadOrCreate(keyFile);
            warnings.Add(
                $"Guardrail:Auth:Keys is empty: accepting the development key in {Path.GetFullPath(keyFile)} for tenant 'dev'. "
                + "Configure Guardrail:Auth:Keys (and remove Guardrail:Auth:DevelopmentKeyFile) before exposing this gateway.");
        }

        string? developmentAdminKey = null;
        if (options.Auth.AdminKeys.Count == 0 && options.Auth.DevelopmentAdminKeyFile is { } adminKeyFile)
        {
            developmentAdminKey = DevelopmentKey.LoadOrCreate(adminKeyFile, DevelopmentKey.AdminPrefix);
            warnings.Add(
                $"Guardrail:Auth:AdminKeys is empty: accepting the development admin key in {Path.GetFullPath(adminKeyFile)}. "
                + "Configure Guardrail:Auth:AdminKeys (and remove Guardrail:Auth:DevelopmentAdminKeyFile) before exposing this gateway.");
        }

        var developmentKeys = new DevelopmentKeys(developmentKey, developmentAdminKey);
        // The validator has read the key file; this read is what start-up installs, so keys work from the first request.
        var keyFilePath = string.IsNullOrWhiteSpace(options.Auth.KeyFile) ? null : Path.GetFullPath(options.Auth.KeyFile, builder.Environment.ContentRootPath);
        var keyFileContent = keyFilePath is null ? null : GatewayKeyFile.Read(keyFilePath).Content
            ?? throw new GatewayConfigurationException([$"Guardrail:Auth:KeyFile '{keyFilePath}' changed while starting and is no longer valid."]);

        // Policies are loaded once here so that start-up fails with every file error and its position.
        var policyOptions = PolicyHost.OptionsFrom(options.Policies, builder.Environment.ContentRootPath, GatewayConfigurationValidator.RequiredPolicyIds(builder.Configuration));
        var policies = PolicyLoader.LoadDirectories(policyOptions.PoliciesDirectory, policyOptions.TaxonomyDirectory, policyOptions.Load);
        if (policies.Errors.Count > 0)
        {
            throw new GatewayConfigurationException(
                [.. policies.Errors.Select(e => $"{e} (policies from Guardrail:Policies:Directory = {policyOptions.PoliciesDirectory}, taxonomies from Guardrail:Policies:TaxonomyDirectory = {policyOptions.TaxonomyDirectory})")]);
        }

        if (options.Metrics.ManagementUrl is { } managementUrl)
        {
            GatewayListeners.AddManagementListener(builder, managementUrl);
        }

        if (options.Logging.Json)
        {
            builder.Logging.AddJsonConsole(static json =>
            {
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                json.IncludeScopes = true;
                json.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false };
            });
        }

        builder.AddGuardrailTracing(TracingConfiguration.Read(options.Tracing, builder.Configuration, []));
        builder.WebHost.ConfigureKestrel(kestrel => KestrelLimits.Apply(kestrel, options.Limits));

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(provider =>
        {
            var store = new GatewayKeyStore(options.Auth.Keys, options.Auth.AdminKeys, developmentKeys, provider.GetRequiredService<TimeProvider>());
            if (keyFileContent is not null)
            {
                store.ReplaceFileKeys(keyFileContent.Keys, keyFileContent.AdminKeys, TimeSpan.Zero);
            }

            return store;
        });
        if (keyFilePath is not null)
        {
            services.AddSingleton(provider => new GatewayKeyFile(keyFilePath, options.Auth.RotationOverlap, provider.GetRequiredService<GatewayKeyStore>(), provider.GetRequiredService<ILogger<GatewayKeyFile>>()));
            services.AddHostedService(static provider => provider.GetRequiredService<GatewayKeyFile>());
        }

        services.AddSingleton(developmentKeys);
        services.AddGuardrailAuthentication(options);
        services.AddGuardrailAdminOpenApi();
        services.AddSingleton<RequestBodyReader>();
        services.AddSingleton(new GatewayStartupReport(warnings, report.UsesDefaultProxy));
        services.AddSingleton<GatewayReadiness>();
        // TryAdd: a test (or a host) may bring its own clock or audit sink.
        services.TryAddSingleton(TimeProvider.System);
        services.AddGuardrailMetrics();

        services.AddSingleton(policyOptions);
        services.AddSingleton<PolicyHost>();
        services.AddSingleton(static provider => provider.GetRequiredService<PolicyHost>().Store);
        services.AddHostedService(static provider => provider.GetRequiredService<PolicyHost>());
        services.AddSingleton<ClassifierHost>();
        services.AddSingleton<IGuardClassifier>(static provider => provider.GetRequiredService<ClassifierHost>());
        services.AddHostedService(static provider => provider.GetRequiredService<ClassifierHost>());
        services.AddSingleton<ClassifierMetrics>();
        services.AddSingleton<Classification.Remote.RemoteClassifierMetrics>();
        services.AddSingleton<AuditHost>();
        services.TryAddSingleton<IAuditSink>(static provider => provider.GetRequiredService<AuditHost>());
        services.AddSingleton<AuditFailureLog>();
        services.AddHostedService(static provider => provider.GetRequiredService<AuditHost>());
        services.AddSingleton<ModerationMetrics>();
        services.AddGuardrailVerdictCache(options, builder.Environment.ContentRootPath);
        services.AddGuardrailRateLimits(options, builder.Environment.ContentRootPath);
        services.AddSingleton(static provider => new ModerationPipeline(
            provider.GetRequiredService<IGuardClassifier>(),
            provider.GetRequiredService<IAuditSink>(),
            provider.GetRequiredService<ModerationMetrics>(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetService<VerdictCaching>(),
            provider.GetRequiredService<AuditFailureLog>().Report));
        services.AddSingleton<ResponseModerator>();
        services.AddSingleton<StreamResponseModerator>();

        var proxy = services.AddReverseProxy();
        var localBackend = !string.IsNullOrWhiteSpace(options.LocalBackend.ModelPath);
        if (!report.UsesDefaultProxy)
        {
            proxy.LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));
        }
        else if (!localBackend)
        {
            proxy.LoadFromMemory(DefaultProxyConfiguration.Routes(DefaultProxyConfiguration.ClusterId), [DefaultProxyConfiguration.Cluster(options.DefaultBackend)]);
        }

        if (localBackend)
        {
            // Cluster 'local' comes from a provider of its own (YARP merges providers), so that the built-in backend's
            // address can be filled in once its listener is bound, whichever provider holds the routes.
            IReadOnlyList<RouteConfig> localRoutes = report.UsesDefaultProxy ? DefaultProxyConfiguration.Routes(DefaultProxyConfiguration.LocalClusterId) : [];
            var localConfig = new InMemoryConfigProvider(localRoutes, [DefaultProxyConfiguration.LocalCluster(null)]);
            services.AddSingleton<IProxyConfigProvider>(localConfig);
            services.AddSingleton(new LocalBackendProxyConfig(localConfig, localRoutes));
            services.AddSingleton<LocalBackendCredentials>();
            services.AddSingleton<LocalBackendHost>();
            services.AddHostedService(static provider => provider.GetRequiredService<LocalBackendHost>());
        }

        proxy.AddTransforms<UpstreamCredentialsTransformProvider>();
        proxy.AddTransforms<ResponseModerationTransformProvider>();
        services.AddSingleton<IForwarderHttpClientFactory, ResilientForwarderHttpClientFactory>();
        services.AddHostedService<GatewayStartupService>();
        return builder;
    }

    /// <summary>Builds the request pipeline: health endpoints, then the nine-step path for proxied routes.</summary>
    public static WebApplication UseGuardrailGateway(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Services.GetService<GatewayStartupReport>() is null)
        {
            throw new InvalidOperationException("Call AddGuardrailGateway on the builder before UseGuardrailGateway.");
        }

        // The exporter must listen before the proxy pipeline below constructs the moderation middleware and its
        // metrics: counters set to zero at construction would otherwise go unseen.
        _ = app.Services.GetRequiredService<PrometheusMeterBridge>();
        app.UseMiddleware<HttpMetricsMiddleware>();
        if (app.Services.GetRequiredService<GuardrailOptions>().Metrics.ManagementPort is { } managementPort)
        {
            app.UseMiddleware<ManagementListenerMiddleware>(managementPort);
        }

        app.UseExceptionHandler(static errorApp => errorApp.Run(static context =>
            OpenAIError.WriteAsync(context, StatusCodes.Status500InternalServerError, "The gateway failed to process the request.", OpenAIError.ServerError, "internal_error")));

        app.UseMiddleware<RequestLimitsMiddleware>();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapGuardrailHealth();
        app.MapGuardrailMetrics(app.Services.GetRequiredService<GuardrailOptions>().Metrics);
        app.MapGuardrailModerations();
        app.MapGuardrailAdmin();
        app.MapReverseProxy(static pipeline =>
        {
            pipeline.UseMiddleware<RateLimitMiddleware>();
            pipeline.UseMiddleware<ModerationMiddleware>();
            pipeline.UseMiddleware<ProxyErrorMiddleware>();
        });
        app.MapFallback(static context => OpenAIError.WriteNotFoundAsync(context)).AllowAnonymous();
        return app;
    }

    private static GuardrailOptions BindOptions(IConfiguration configuration)
    {
        try
        {
            return configuration.GetSection(GuardrailOptions.SectionName).Get<GuardrailOptions>(binder => binder.ErrorOnUnknownConfiguration = true)
                ?? new GuardrailOptions();
        }
        catch (InvalidOperationException e)
        {
            // The binder names the key and the value that did not fit: a typo or a wrong type in the Guardrail section.
            // The inner exception names the key of a value that did not convert (an enum, a number, a duration).
            Exception innermost = e;
            while (innermost.InnerException is { } inner)
            {
                innermost = inner;
            }

            var detail = ReferenceEquals(innermost, e) ? string.Empty : " " + innermost.Message;
            throw new GatewayConfigurationException([$"{e.Message}{detail} Check the spelling and the value type against the README's Configuration table."]);
        }
    }
}
