using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Guardrail.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Guardrail.Gateway.Tests.Admin;

/// <summary>
/// The admin API's OpenAPI document against the gateway that serves it: the committed copy is the served one, every
/// admin endpoint is in it, it is valid OpenAPI 3.1, each declared query parameter is read by its handler as
/// declared, and real responses have exactly the properties their schemas list.
/// </summary>
public sealed class AdminOpenApiTests : IClassFixture<AdminFixture>
{
    private const string DocumentPath = "/admin/v1/openapi.json";

    /// <summary>Set to 1 to write the served document over <c>docs/admin-openapi.json</c> (then review the diff).</summary>
    private const string AcceptVariable = "GUARDRAIL_ACCEPT_OPENAPI";

    private static readonly string CommittedPath = RepositoryRoot.Combine("docs", "admin-openapi.json");

    private readonly AdminFixture _fixture;

    public AdminOpenApiTests(AdminFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Served_EqualsTheCommittedDocument()
    {
        var served = await ServedAsync();

        if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
        {
            await File.WriteAllTextAsync(CommittedPath, Normalise(served) + "\n");
        }

        Assert.True(
            Normalise(served) == Normalise(await File.ReadAllTextAsync(CommittedPath)),
            $"The served admin OpenAPI document differs from {CommittedPath}. If the change is meant, run this test with {AcceptVariable}=1 and commit the file.");
    }

    [Fact]
    public async Task Served_IsOpenApi31WithoutErrors()
    {
        var served = await ServedAsync();

        var result = OpenApiDocument.Parse(served, "json", new OpenApiReaderSettings());

        Assert.Empty(result.Diagnostic!.Errors.Select(e => $"{e.Pointer}: {e.Message}"));
        Assert.Equal(OpenApiSpecVersion.OpenApi3_1, result.Diagnostic.SpecificationVersion);
        Assert.NotEmpty(result.Document!.Paths);
    }

    [Fact]
    public async Task EveryAdminEndpoint_IsInTheDocumentWithItsMethods()
    {
        var paths = JsonNode.Parse(await ServedAsync())!["paths"]!.AsObject();
        var sources = _fixture.Gateway.Services.GetServices<EndpointDataSource>();
        var endpoints = sources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Select(e => (Path: "/" + e.RoutePattern.RawText!.TrimStart('/'), Methods: e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? []))
            .Where(e => e.Path.StartsWith("/admin/v1/", StringComparison.Ordinal) && e.Path != DocumentPath)
            .SelectMany(e => e.Methods.Select(m => $"{m.ToUpperInvariant()} {e.Path}"))
            .Order(StringComparer.Ordinal)
            .ToList();
        var documented = paths.SelectMany(p => p.Value!.AsObject().Select(o => $"{o.Key.ToUpperInvariant()} {p.Key}"))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.Equal(6, endpoints.Count);
        Assert.Equal(endpoints, documented);
    }

    [Fact]
    public async Task NoKey_Is401InOpenAIShape()
    {
        using var client = _fixture.Gateway.CreateClient(key: null);

        using var response = await client.GetAsync(DocumentPath);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task ClientGatewayKey_Is403()
    {
        using var client = _fixture.Gateway.CreateClient(GatewayServer.ClientKey);

        using var response = await client.GetAsync(DocumentPath);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("admin_key_required", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    /// <summary>Every query parameter of the committed document, with the GET operation that declares it.</summary>
    public static TheoryData<string, string> QueryParameters()
    {
        var data = new TheoryData<string, string>();
        var paths = JsonNode.Parse(File.ReadAllText(CommittedPath))!["paths"]!.AsObject();
        foreach (var (path, item) in paths)
        {
            foreach (var parameter in item!["get"]?["parameters"]?.AsArray() ?? [])
            {
                if ((string?)parameter!["in"] == "query")
                {
                    data.Add(path, (string)parameter["name"]!);
                }
            }
        }

        return data;
    }

    /// <summary>
    /// One parameter as declared against its handler: its example and every allowed value are accepted (200), and a
    /// value outside its type, range, pattern or allowed values is refused with a 400 naming it.
    /// </summary>
    [Theory]
    [MemberData(nameof(QueryParameters))]
    public async Task QueryParameter_IsReadAsDeclared(string path, string name)
    {
        var schema = JsonNode.Parse(await ServedAsync())!["paths"]![path]!["get"]!["parameters"]!.AsArray()
            .Single(p => (string?)p!["name"] == name)!["schema"]!;
        using var admin = _fixture.AdminClient();
        var valid = new List<string>();
        var invalid = new List<string>();
        if (schema["enum"] is JsonArray allowed)
        {
            valid.AddRange(allowed.Select(v => (string)v!));
            invalid.Add("not-one-of-them");
        }

        if (schema["examples"] is JsonArray examples)
        {
            valid.AddRange(examples.Select(v => v!.ToString()));
        }

        if (schema["pattern"] is not null)
        {
            invalid.Add("has spaces!");
        }

        if ((string?)schema["type"] == "integer")
        {
            var minimum = (long)schema["minimum"]!;
            valid.Add(minimum.ToString(System.Globalization.CultureInfo.InvariantCulture));
            invalid.Add((minimum - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
            invalid.Add("ten");
            if (schema["maximum"] is { } maximum)
            {
                valid.Add(((long)maximum).ToString(System.Globalization.CultureInfo.InvariantCulture));
                invalid.Add(((long)maximum + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        if (schema["maxLength"] is { } maxLength)
        {
            invalid.Add(new string('a', (int)maxLength + 1));
        }

        Assert.NotEmpty(valid);
        foreach (var value in valid)
        {
            using var response = await admin.GetAsync($"{path}?{name}={Uri.EscapeDataString(value)}");
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name}={value}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        foreach (var value in invalid)
        {
            using var response = await admin.GetAsync($"{path}?{name}={Uri.EscapeDataString(value)}");
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}={value}: {(int)response.StatusCode} {body}");
            Assert.Equal(name, JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("param").GetString());
        }
    }

    [Theory]
    [InlineData("/admin/v1/decisions")]
    [InlineData("/admin/v1/decisions/export")]
    [InlineData("/admin/v1/stats")]
    [InlineData("/admin/v1/actions")]
    public async Task UndeclaredQueryParameter_Is400(string path)
    {
        using var admin = _fixture.AdminClient();

        using var response = await admin.GetAsync($"{path}?not_declared=1");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("not_declared", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("param").GetString());
    }

    /// <summary>Real 200 bodies against the schemas the document gives them: the same properties, types and values.</summary>
    [Theory]
    [InlineData("/admin/v1/decisions?limit=1000", "/admin/v1/decisions")]
    [InlineData("/admin/v1/decisions/{id}", "/admin/v1/decisions/{id}")]
    [InlineData("/admin/v1/stats", "/admin/v1/stats")]
    [InlineData("/admin/v1/actions?limit=1000", "/admin/v1/actions")]
    public async Task Response_MatchesItsSchema(string request, string path)
    {
        var document = JsonNode.Parse(await ServedAsync())!;
        var schema = document["paths"]![path]!["get"]!["responses"]!["200"]!["content"]!["application/json"]!["schema"]!;
        using var admin = _fixture.AdminClient();

        var body = await AdminEndpointsTests.GetJsonAsync(admin, request.Replace("{id}", _fixture.BlockedResponseId, StringComparison.Ordinal));

        var problems = new List<string>();
        SchemaCheck.Check(document, schema, JsonNode.Parse(body.GetRawText()), "$", problems);
        Assert.Empty(problems);
    }

    [Fact]
    public async Task ErrorResponse_MatchesTheErrorSchema()
    {
        var document = JsonNode.Parse(await ServedAsync())!;
        var schema = document["paths"]!["/admin/v1/decisions/{id}"]!["get"]!["responses"]!["404"]!["content"]!["application/json"]!["schema"]!;
        using var admin = _fixture.AdminClient();

        using var response = await admin.GetAsync("/admin/v1/decisions/01JH0000000000000000000000");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problems = new List<string>();
        SchemaCheck.Check(document, schema, JsonNode.Parse(await response.Content.ReadAsStringAsync()), "$", problems);
        Assert.Empty(problems);
    }

    private async Task<string> ServedAsync()
    {
        using var admin = _fixture.AdminClient();
        using var response = await admin.GetAsync(DocumentPath);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The JSON re-indented, so that only content differences count.</summary>
    private static string Normalise(string json) =>
        JsonNode.Parse(json)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }).ReplaceLineEndings("\n");
}
