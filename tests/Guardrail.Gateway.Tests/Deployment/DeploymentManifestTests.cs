using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Guardrail.Gateway.Configuration;
using Guardrail.Gateway.Health;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace Guardrail.Gateway.Tests.Deployment;

/// <summary>
/// The deploy files, checked with the real tools that exist here: <c>kubectl kustomize</c> renders the Kubernetes base
/// and every overlay, <c>docker-compose config</c> validates the compose file; then the rendered objects are read back
/// and held against the application: every configuration key they set exists, probes ask for paths the gateway
/// serves on the port it listens on, and the image runs its own entry point.
/// </summary>
public sealed partial class DeploymentManifestTests
{
    private static readonly string Kubernetes = Path.Combine(RepositoryRoot.Path, "deploy", "kubernetes");
    private static readonly TimeSpan ToolDeadline = TimeSpan.FromMinutes(3);

    // Variables the image or the runtime reads that are not Guardrail:* configuration keys.
    private static readonly HashSet<string> ProcessVariables = new(StringComparer.Ordinal) { "Urls", "GUARDRAIL_LLAMA_RUNTIME_DIR" };

    public static TheoryData<string> Kustomizations() =>
        [.. new[] { "base" }.Concat(Directory.GetDirectories(Path.Combine(Kubernetes, "overlays")).Select(d => "overlays/" + Path.GetFileName(d)).Order(StringComparer.Ordinal))];

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task Kustomize_Renders_AndTheGatewayItDeploysIsConfiguredWithRealKeysPathsAndPorts(string kustomization)
    {
        var rendered = await RunAsync("kubectl", ["kustomize", "--load-restrictor", "LoadRestrictionsNone", Path.Combine(Kubernetes, kustomization)], []);
        var objects = ReadYamlDocuments(rendered);

        var deployment = GatewayDeployment(objects);
        Assert.All(objects.Where(o => Kind(o) == "Deployment" && o != deployment), other => Assert.Equal("classifier", Component(other)));
        var configMaps = objects.Where(o => Kind(o) == "ConfigMap").ToDictionary(o => (string)o["metadata"]!["name"]!, StringComparer.Ordinal);
        var pod = deployment["spec"]!["template"]!["spec"]!;
        var container = Assert.Single(pod["containers"]!.AsArray())!;
        Assert.Null(container["command"]);
        Assert.Null(container["args"]);
        Assert.Matches(ImagePattern(), (string)container["image"]!);

        var settings = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var source in container["envFrom"]?.AsArray() ?? [])
        {
            var name = (string)source!["configMapRef"]!["name"]!;
            Assert.True(configMaps.TryGetValue(name, out var map), $"envFrom names ConfigMap {name}, which is not rendered");
            foreach (var (key, value) in map!["data"]!.AsObject())
            {
                settings[key] = (string?)value;
            }
        }

        foreach (var variable in container["env"]?.AsArray() ?? [])
        {
            settings[(string)variable!["name"]!] = (string?)variable["value"];
        }

        Assert.All(settings.Keys, key => Assert.True(IsKnownSetting(key), $"{kustomization} sets {key}, which no configuration key reads"));

        var ports = container["ports"]!.AsArray().ToDictionary(p => (string)p!["name"]!, p => Int(p!["containerPort"]!), StringComparer.Ordinal);
        var management = new Uri(settings["Guardrail__Metrics__ManagementUrl"]!).Port;
        Assert.Equal(management, ports["management"]);
        Assert.Equal(DockerfileTests.ExposedPort(), ports["http"]);
        Assert.Equal(HealthEndpoints.ReadinessPath, (string)container["readinessProbe"]!["httpGet"]!["path"]!);
        Assert.Equal(HealthEndpoints.LivenessPath, (string)container["livenessProbe"]!["httpGet"]!["path"]!);
        Assert.Equal("management", (string)container["readinessProbe"]!["httpGet"]!["port"]!);
        Assert.Equal("management", (string)container["livenessProbe"]!["httpGet"]!["port"]!);

        Assert.Equal("true", pod["securityContext"]!["runAsNonRoot"]!.ToString());
        Assert.Equal("true", container["securityContext"]!["readOnlyRootFilesystem"]!.ToString());
        foreach (var volume in pod["volumes"]!.AsArray())
        {
            if (volume!["configMap"] is { } map)
            {
                Assert.True(configMaps.ContainsKey((string)map["name"]!), $"volume {volume["name"]} names a ConfigMap that is not rendered");
            }
        }

        var policies = configMaps["guardrail-policies"]["data"]!.AsObject();
        Assert.Contains("default.yaml", policies.Select(p => p.Key));
        Assert.Equal(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "policies", "default.yaml")), (string)policies["default.yaml"]!);
        Assert.Equal(management, Int(deployment["spec"]!["template"]!["metadata"]!["annotations"]!["prometheus.io/port"]!));
    }

    [Fact]
    public async Task Kustomize_GpuOverlay_RunsTheCudaImageOnAGpu()
    {
        var objects = ReadYamlDocuments(await RunAsync("kubectl",
            ["kustomize", "--load-restrictor", "LoadRestrictionsNone", Path.Combine(Kubernetes, "overlays", "gpu")], []));
        var container = GatewayDeployment(objects)["spec"]!["template"]!["spec"]!["containers"]![0]!;

        Assert.Equal("guardrail:cuda", (string)container["image"]!);
        Assert.Equal("1", container["resources"]!["limits"]!["nvidia.com/gpu"]!.ToString());
        Assert.Matches(@"(?m)^FROM .* AS cuda$", Dockerfile());
        var runtime = (string)objects.Single(o => Kind(o) == "ConfigMap" && (string)o["metadata"]!["name"]! == "guardrail-settings")["data"]!["GUARDRAIL_LLAMA_RUNTIME_DIR"]!;
        Assert.Contains($"GUARDRAIL_LLAMA_RUNTIME_DIR={runtime}", Dockerfile(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kustomize_PostgresRedisOverlay_SharesTheAuditLogAndCacheAcrossReplicas()
    {
        var objects = ReadYamlDocuments(await RunAsync("kubectl",
            ["kustomize", "--load-restrictor", "LoadRestrictionsNone", Path.Combine(Kubernetes, "overlays", "postgres-redis")], []));
        var deployment = GatewayDeployment(objects);
        var env = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]!.AsArray()
            .ToDictionary(v => (string)v!["name"]!, v => v!, StringComparer.Ordinal);

        Assert.True(Int(deployment["spec"]!["replicas"]!) >= 2);
        Assert.Equal("guardrail-postgres", (string)env["Guardrail__Audit__ConnectionString"]["valueFrom"]!["secretKeyRef"]!["name"]!);
        Assert.Equal("guardrail-redis", (string)env["Guardrail__Cache__Redis"]["valueFrom"]!["secretKeyRef"]!["name"]!);
    }

    [Fact]
    public async Task Kustomize_RemoteClassifierOverlay_ServesLlamaGuardWithGuardrailServeAndPointsTheGatewaysAtIt()
    {
        var objects = ReadYamlDocuments(await RunAsync("kubectl",
            ["kustomize", "--load-restrictor", "LoadRestrictionsNone", Path.Combine(Kubernetes, "overlays", "remote-classifier")], []));
        var classifier = Assert.Single(objects, o => Kind(o) == "Deployment" && Component(o) == "classifier");
        var pod = classifier["spec"]!["template"]!["spec"]!;
        var container = Assert.Single(pod["containers"]!.AsArray())!;

        // The command is the image's launcher, and the arguments are a `guardrail serve` the real parser accepts.
        Assert.Equal("guardrail:cuda", (string)container["image"]!);
        var command = Assert.Single(container["command"]!.AsArray().Select(c => (string)c!));
        Assert.Equal(DockerfileTests.CliLauncherOnPath, command);
        var args = container["args"]!.AsArray().Select(a => (string)a!).ToArray();
        Assert.Equal("serve", args[0]);
        var serve = Guardrail.Cli.Commands.ServeCommand.Create(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        var parsed = new System.CommandLine.RootCommand { serve }.Parse(args);
        Assert.True(parsed.Errors.Count == 0, $"the overlay's serve arguments do not parse: {string.Join("; ", parsed.Errors.Select(e => e.Message))}");
        string Value(string option) => parsed.GetValue<object>(option)!.ToString()!;

        // Reachable from the gateways' pods, with the key from a Secret (serve refuses a non-loopback host without one).
        Assert.Equal("0.0.0.0", Value("--host"));
        var key = container["env"]!.AsArray().Single(v => (string)v!["name"]! == Guardrail.Cli.Commands.ServeCommand.ApiKeyVariable)!;
        var secret = key["valueFrom"]!["secretKeyRef"]!;
        var ports = container["ports"]!.AsArray().ToDictionary(p => (string)p!["name"]!, p => Int(p!["containerPort"]!), StringComparer.Ordinal);
        Assert.Equal(int.Parse(Value("--port"), CultureInfo.InvariantCulture), ports["http"]);
        foreach (var probe in new[] { "readinessProbe", "livenessProbe", "startupProbe" })
        {
            Assert.Equal(Guardrail.Serving.GenerationServer.HealthPath, (string)container[probe]!["httpGet"]!["path"]!);
            Assert.Equal("http", (string)container[probe]!["httpGet"]!["port"]!);
        }

        // On a GPU node, the model from the volume the base reads it from.
        Assert.Equal("1", container["resources"]!["limits"]!["nvidia.com/gpu"]!.ToString());
        Assert.Equal("true", (string)pod["nodeSelector"]!["nvidia.com/gpu.present"]!);
        var gateway = GatewayDeployment(objects);
        var gatewayPod = gateway["spec"]!["template"]!["spec"]!;
        Assert.Equal(Volume(gatewayPod, "models")["persistentVolumeClaim"]!["claimName"]!.ToString(), Volume(pod, "models")["persistentVolumeClaim"]!["claimName"]!.ToString());
        var modelsMount = (string)container["volumeMounts"]!.AsArray().Single(m => (string)m!["name"]! == "models")!["mountPath"]!;
        var model = Value("--model");
        Assert.StartsWith(modelsMount + "/", model, StringComparison.Ordinal);

        // The Service selects the serve pods and no gateway pod.
        var service = Assert.Single(objects, o => Kind(o) == "Service" && Component(o) == "classifier");
        var selector = service["spec"]!["selector"]!.AsObject().ToDictionary(p => p.Key, p => (string)p.Value!, StringComparer.Ordinal);
        Assert.Equal("classifier", selector["app.kubernetes.io/component"]);
        var podLabels = classifier["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();
        Assert.All(selector, pair => Assert.Equal(pair.Value, (string)podLabels[pair.Key]!));
        var servicePort = service["spec"]!["ports"]!.AsArray().Single()!;
        Assert.Equal("http", (string)servicePort["targetPort"]!);

        // The gateways: the pool at that Service's name and port, the same key, the model's tokenizer, no model, no GPU.
        var settings = objects.Single(o => Kind(o) == "ConfigMap" && (string)o["metadata"]!["name"]! == "guardrail-settings")["data"]!.AsObject();
        var url = new Uri((string)settings["Guardrail__Classifier__Remote__Endpoints__0__Url"]!);
        Assert.Equal((string)service["metadata"]!["name"]!, url.Host);
        Assert.Equal(Int(servicePort["port"]!), url.Port);
        Assert.False(settings.ContainsKey("Guardrail__Classifier__ModelPath"), "the gateways would load the model and use the pool: the validator refuses both");
        Assert.Equal(model, (string)settings["Guardrail__Classifier__Remote__TokenizerPath"]!);
        var gatewayContainer = gatewayPod["containers"]![0]!;
        var gatewayKey = gatewayContainer["env"]!.AsArray().Single(v => (string)v!["name"]! == "Guardrail__Classifier__Remote__Endpoints__0__ApiKey")!["valueFrom"]!["secretKeyRef"]!;
        Assert.Equal((string)secret["name"]!, (string)gatewayKey["name"]!);
        Assert.Equal((string)secret["key"]!, (string)gatewayKey["key"]!);
        Assert.Null(gatewayContainer["resources"]!["limits"]!["nvidia.com/gpu"]);
        Assert.Null(gatewayPod["nodeSelector"]);
        var context = settings.TryGetPropertyValue("Guardrail__Classifier__ContextSize", out var size) ? (string)size! : new ClassifierSettings().ContextSize.ToString(CultureInfo.InvariantCulture);
        Assert.Equal(context, Value("--context"));
    }

    [Fact]
    public async Task Compose_Validates_AndItsGatewaysUseRealKeysAndSharedStores()
    {
        var compose = Path.Combine(RepositoryRoot.Path, "deploy", "compose.yaml");
        var rendered = ReadYamlDocuments(await RunAsync("docker-compose", ["-f", compose, "config"], new(StringComparer.Ordinal)
        {
            ["GUARDRAIL_CLIENT_KEY_HASH"] = "sha256:" + new string('a', 64),
            ["GUARDRAIL_ADMIN_KEY_HASH"] = "sha256:" + new string('b', 64),
            ["POSTGRES_PASSWORD"] = "compose-test",
        }))[0];

        var services = rendered["services"]!.AsObject();
        var gateways = services.Where(s => s.Key.StartsWith("gateway", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, gateways.Count);
        Assert.Contains("postgres", services.Select(s => s.Key));
        Assert.Contains("redis", services.Select(s => s.Key));
        Assert.Contains("prometheus", services.Select(s => s.Key));
        Assert.Contains("grafana", services.Select(s => s.Key));
        foreach (var (name, gateway) in gateways)
        {
            var environment = gateway!["environment"]!.AsObject();
            Assert.All(environment.Select(e => e.Key), key => Assert.True(IsKnownSetting(key), $"{name} sets {key}, which no configuration key reads"));
            Assert.Null(AuditStoreOptionsProblem((string)environment["Guardrail__Audit__ConnectionString"]!));
            Assert.Equal(DockerfileTests.ExposedPort(), Int(gateway["ports"]![0]!["target"]!));
        }

        foreach (var (_, service) in services)
        {
            foreach (var volume in service!["volumes"]?.AsArray() ?? [])
            {
                var source = volume!.GetValueKind() == System.Text.Json.JsonValueKind.String
                    ? ((string)volume!).Split(':')[0]
                    : (string?)volume!["source"];
                if (source is not null && source.StartsWith('/') && !source.EndsWith("/models", StringComparison.Ordinal))
                {
                    Assert.True(File.Exists(source) || Directory.Exists(source), $"compose mounts {source}, which does not exist");
                }
            }
        }
    }

    private static string? AuditStoreOptionsProblem(string connectionString) =>
        new Guardrail.Audit.AuditStoreOptions { ConnectionString = connectionString }.Validate().FirstOrDefault();

    /// <summary>True when <paramref name="variable"/> (<c>Guardrail__Audit__ConnectionString</c>) binds to a property
    /// of <see cref="GuardrailOptions"/>, walking lists by index and dictionaries by any name, as configuration
    /// binding does; or is one of the process's own variables.</summary>
    private static bool IsKnownSetting(string variable)
    {
        if (ProcessVariables.Contains(variable))
        {
            return true;
        }

        var segments = variable.Split("__");
        if (segments.Length < 2 || segments[0] != GuardrailOptions.SectionName)
        {
            return false;
        }

        var type = typeof(GuardrailOptions);
        foreach (var segment in segments.Skip(1))
        {
            if (type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>)) is { } dictionary)
            {
                type = dictionary.GetGenericArguments()[1];
            }
            else if (type != typeof(string) && type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IList<>)) is { } list)
            {
                if (!int.TryParse(segment, CultureInfo.InvariantCulture, out _))
                {
                    return false;
                }

                type = list.GetGenericArguments()[0];
            }
            else if (type.IsClass && type != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(type) &&
                     type.GetProperty(segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase) is { } property)
            {
                type = property.PropertyType;
            }
            else
            {
                return false;
            }
        }

        return type == typeof(string) || type.IsValueType || Nullable.GetUnderlyingType(type) is not null;
    }

    private static string Dockerfile() => DockerfileTests.Text;

    /// <summary>The gateway's Deployment: the one labelled <c>app.kubernetes.io/component: gateway</c> by the base.</summary>
    private static JsonNode GatewayDeployment(List<JsonNode> objects) =>
        Assert.Single(objects, o => Kind(o) == "Deployment" && Component(o) == "gateway");

    private static string? Component(JsonNode node) => (string?)node["metadata"]!["labels"]?["app.kubernetes.io/component"];

    private static JsonNode Volume(JsonNode pod, string name) => pod["volumes"]!.AsArray().Single(v => (string)v!["name"]! == name)!;

    private static string? Kind(JsonNode node) => (string?)node["kind"];

    // YamlDotNet's untyped reading keeps every scalar a string.
    private static int Int(JsonNode node) => int.Parse(node.ToString(), CultureInfo.InvariantCulture);

    /// <summary>Every document of a YAML stream, as JSON nodes (YamlDotNet re-emits each as JSON).</summary>
    private static List<JsonNode> ReadYamlDocuments(string yaml)
    {
        var deserializer = new DeserializerBuilder().Build();
        var serializer = new SerializerBuilder().JsonCompatible().Build();
        var parser = new Parser(new StringReader(yaml));
        parser.Consume<StreamStart>();
        var documents = new List<JsonNode>();
        while (parser.Accept<DocumentStart>(out _))
        {
            var document = deserializer.Deserialize(parser);
            if (document is not null)
            {
                documents.Add(JsonNode.Parse(serializer.Serialize(document))!);
            }
        }

        return documents;
    }

    private static async Task<string> RunAsync(string program, string[] arguments, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryRoot.Path,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"{program} is not installed; scripts/test.sh installs it (kubectl ships kustomize; Debian's docker-compose).", ex);
        }

        using (process)
        {
            using var deadline = new CancellationTokenSource(ToolDeadline);
            var output = process.StandardOutput.ReadToEndAsync(deadline.Token);
            var error = process.StandardError.ReadToEndAsync(deadline.Token);
            await process.WaitForExitAsync(deadline.Token);
            Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {await error}");
            return await output;
        }
    }

    [GeneratedRegex(@"^guardrail:(latest|cuda)$", RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex ImagePattern();
}
