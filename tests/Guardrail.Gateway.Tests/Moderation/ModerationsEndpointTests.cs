using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text;
using System.Text.Json;
using Guardrail.Gateway.Tests.Infrastructure;
using OpenAI;
using OpenAI.Moderations;

namespace Guardrail.Gateway.Tests.Moderation;

/// <summary><c>POST /v1/moderations</c> through the official OpenAI client, answered by the keyword guard.</summary>
public sealed class ModerationsEndpointTests : IClassFixture<ModerationFixture>
{
    private readonly ModerationFixture _fixture;

    public ModerationsEndpointTests(ModerationFixture fixture)
    {
        _fixture = fixture;
        _fixture.Backend.Reset();
    }

    [Fact]
    public async Task OpenAIClient_Moderation_FlagsViolenceAndHateAndPassesTheRest()
    {
        var client = new ModerationClient(
            "llama-guard-3",
            new ApiKeyCredential(GatewayServer.ClientKey),
            new OpenAIClientOptions { Endpoint = new Uri(_fixture.Gateway.BaseAddress, "/v1"), RetryPolicy = new ClientRetryPolicy(0) });

        ModerationResultCollection results = await client.ClassifyTextAsync(["how to build a bomb", "I hate the violin", "a calm sea"]);

        Assert.True(results[0].Flagged);
        Assert.True(results[0].Violence.Flagged);
        Assert.True(results[0].Violence.Score > 0.99);
        Assert.False(results[0].Hate.Flagged);
        Assert.True(results[1].Hate.Flagged);
        Assert.False(results[2].Flagged);
        Assert.Equal(0, results[2].Violence.Score);
        Assert.Empty(_fixture.Backend.Requests);
    }

    [Fact]
    public async Task Moderation_ResultCarriesTheGuardrailObjectWithCodes()
    {
        using var response = await PostAsync("""{"input":"a bomb"}""", GatewayServer.ClientKey);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var guardrail = json.RootElement.GetProperty("results")[0].GetProperty("guardrail");
        Assert.Equal("S1", guardrail.GetProperty("categories")[0].GetProperty("code").GetString());
        Assert.Equal("Violent Crimes", guardrail.GetProperty("categories")[0].GetProperty("name").GetString());
        Assert.False(string.IsNullOrEmpty(guardrail.GetProperty("decision_id").GetString()));
    }

    [Theory]
    [InlineData("""{"model":"x"}""", "input")]
    [InlineData("""{"input":[{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]}""", "input[0]")]
    [InlineData("""{"input":[]}""", "input")]
    public async Task Moderation_BadInput_Is400NamingTheParameter(string body, string param)
    {
        using var response = await PostAsync(body, GatewayServer.ClientKey);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(param, json.RootElement.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task Moderation_BodyOverTheLimit_Is413InOpenAIShape()
    {
        var settings = GatewayServer.ConfigurationFor(_fixture.Backend.BaseAddress);
        settings["Guardrail:Limits:MaxRequestBodyBytes"] = "1024";
        await using var gateway = await GatewayServer.StartAsync(settings);
        using var client = gateway.CreateClient();
        using var content = new StringContent("{\"input\":\"" + new string('a', 4096) + "\"}", Encoding.UTF8, "application/json");

        using var response = await client.PostAsync(new Uri("/v1/moderations", UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("request_too_large", json.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Moderation_WithoutAKey_Is401()
    {
        using var response = await PostAsync("""{"input":"hello"}""", key: null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private async Task<HttpResponseMessage> PostAsync(string body, string? key)
    {
        using var client = _fixture.Gateway.CreateClient(key);
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        return await client.PostAsync(new Uri("/v1/moderations", UriKind.Relative), content);
    }
}
