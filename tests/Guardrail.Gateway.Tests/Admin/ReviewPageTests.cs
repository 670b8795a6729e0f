using System.Text.Json;
using Guardrail.Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Guardrail.Gateway.Tests.Admin;

/// <summary>
/// The review page in a real browser: Debian's Chromium driven by Playwright (no browser download: the package's
/// driver talks to <c>/usr/bin/chromium</c>, which scripts/test.sh installs). A reviewer signs in with the admin key,
/// filters to blocked S1 decisions, opens one with the keyboard, reads the conversation (whose markup must not run),
/// labels it a false positive, and finds the label through the API and in an export.
/// </summary>
public sealed class ReviewPageTests : IClassFixture<AdminFixture>
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string ScreenshotPath = "/tmp/guardrail-review.png";

    private static readonly string[] ChromiumArguments =
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    private readonly AdminFixture _fixture;

    public ReviewPageTests(AdminFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Reviewer_SignsInFiltersOpensLabelsAndExports()
    {
        await using var session = await BrowserSession.StartAsync();
        var page = session.Page;
        var address = new Uri(_fixture.Gateway.BaseAddress, "/admin/review").ToString();

        var response = await page.GotoAsync(address);

        // The page itself opens without a key, under a strict policy.
        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        var headers = await response.AllHeadersAsync();
        Assert.Contains("script-src 'self'", headers["content-security-policy"], StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", headers["content-security-policy"], StringComparison.Ordinal);
        Assert.Equal("nosniff", headers["x-content-type-options"]);
        await Expect(page.Locator("#login")).ToBeVisibleAsync();
        await Expect(page.Locator("#app")).ToBeHiddenAsync();

        // A client key is refused, and the page says why.
        await page.FillAsync("#admin-key", GatewayServer.ClientKey);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#login-error")).ToContainTextAsync("client gateway key");
        await Expect(page.Locator("#app")).ToBeHiddenAsync();
        // Chromium logs the refused request (403) as a console error; that one was the point of this step.
        Assert.All(session.Errors, e => Assert.Contains("403", e, StringComparison.Ordinal));
        session.Errors.Clear();

        await page.FillAsync("#admin-key", GatewayServer.AdminKey);
        await page.ClickAsync("#login-form button[type=submit]");
        await Expect(page.Locator($"#rows tr[data-id='{_fixture.BlockedPromptId}']")).ToBeVisibleAsync();
        await Expect(page.Locator($"#rows tr[data-id='{_fixture.SafeId}']")).ToBeVisibleAsync();
        Assert.Null(await page.EvaluateAsync<string?>("() => new URL(location.href).search || null"));

        // Blocked decisions in S1 only.
        await page.SelectOptionAsync("#f-action", "block");
        await page.FillAsync("#f-category", "S1");
        await page.ClickAsync("#filters button[type=submit]");
        await Expect(page.Locator($"#rows tr[data-id='{_fixture.SafeId}']")).ToHaveCountAsync(0);
        var rows = page.Locator("#rows tr");
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(rows.Nth(0)).ToHaveAttributeAsync("data-id", _fixture.BlockedResponseId);
        await Expect(rows.Nth(1)).ToHaveAttributeAsync("data-id", _fixture.BlockedPromptId);

        // The keyboard alone: move down to the blocked prompt and open it.
        await page.Keyboard.PressAsync("j");
        await Expect(rows.Nth(1)).ToHaveAttributeAsync("aria-selected", "true");
        await page.Keyboard.PressAsync("Enter");
        var detail = page.Locator("#detail");
        await Expect(detail).ToBeVisibleAsync();
        await Expect(page.Locator("#conversation")).ToContainTextAsync(AdminFixture.HostileMarkup);
        Assert.Equal(0, await page.Locator("#conversation *").CountAsync());
        Assert.Equal("undefined", await page.EvaluateAsync<string>("() => typeof window.__pwned"));
        await Expect(page.Locator("#facts")).ToContainTextAsync(_fixture.BlockedPromptId);
        await Expect(page.Locator("#facts")).ToContainTextAsync("default @ ");

        await page.FillAsync("#reviewer", "Ada");
        await page.FillAsync("#note", "A chemistry lesson, not an attack.");
        await page.Keyboard.PressAsync("Escape");
        await page.Keyboard.PressAsync("1");
        await Expect(page.Locator("#current-label")).ToContainTextAsync("Labelled false positive by Ada");
        await Expect(rows.Nth(1)).ToContainTextAsync("false positive");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = ScreenshotPath, FullPage = true });

        using (var admin = _fixture.AdminClient())
        {
            var stored = await AdminEndpointsTests.GetJsonAsync(admin, $"/admin/v1/decisions/{_fixture.BlockedPromptId}");
            Assert.Equal("false_positive", stored.GetProperty("label").GetString());
            Assert.Equal("Ada", stored.GetProperty("reviewer").GetString());
            Assert.Equal("A chemistry lesson, not an attack.", stored.GetProperty("label_note").GetString());
        }

        // Export what the filters show, and find the label in the file.
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("[data-format=jsonl]"));
        Assert.EndsWith(".jsonl", download.SuggestedFilename, StringComparison.Ordinal);
        var lines = await File.ReadAllLinesAsync((await download.PathAsync())!);
        var exported = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, exported.Count);
        var labelled = Assert.Single(exported, e => e.GetProperty("id").GetString() == _fixture.BlockedPromptId);
        Assert.Equal("false_positive", labelled.GetProperty("label").GetString());

        await page.Keyboard.PressAsync("Escape");
        await Expect(detail).ToBeHiddenAsync();
        Assert.True(session.Errors.Count == 0, string.Join("\n", session.Errors));
    }

    [Fact]
    public async Task ReviewPage_SignOut_ForgetsTheKey()
    {
        await using var session = await BrowserSession.StartAsync();
        var page = session.Page;
        await page.GotoAsync(new Uri(_fixture.Gateway.BaseAddress, "/admin/review").ToString());
        await page.FillAsync("#admin-key", GatewayServer.AdminKey);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#app")).ToBeVisibleAsync();
        Assert.Equal(GatewayServer.AdminKey, await page.EvaluateAsync<string>("() => sessionStorage.getItem('guardrail.adminKey')"));

        await page.ClickAsync("#sign-out");

        await Expect(page.Locator("#login")).ToBeVisibleAsync();
        Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('guardrail.adminKey')"));
        await page.ReloadAsync();
        await Expect(page.Locator("#app")).ToBeHiddenAsync();
        Assert.True(session.Errors.Count == 0, string.Join("\n", session.Errors));
    }

    /// <summary>One browser, context and page; collects script errors and console errors (CSP violations land there).</summary>
    private sealed class BrowserSession : IAsyncDisposable
    {
        private readonly IPlaywright _playwright;
        private readonly IBrowser _browser;

        private BrowserSession(IPlaywright playwright, IBrowser browser, IPage page)
        {
            _playwright = playwright;
            _browser = browser;
            Page = page;
            page.PageError += (_, error) => Errors.Add("page error: " + error);
            page.Console += (_, message) =>
            {
                if (message.Type == "error")
                {
                    Errors.Add("console error: " + message.Text);
                }
            };
        }

        public IPage Page { get; }

        public List<string> Errors { get; } = [];

        public static async Task<BrowserSession> StartAsync()
        {
            if (!File.Exists(ChromiumPath))
            {
                throw new InvalidOperationException($"{ChromiumPath} is not installed. scripts/test.sh installs it (Debian package 'chromium'); run the tests through it.");
            }

            var playwright = await Playwright.CreateAsync();
            try
            {
                var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
                {
                    ExecutablePath = ChromiumPath,
                    Headless = true,
                    Args = ChromiumArguments,
                    Timeout = 60_000,
                });
                var context = await browser.NewContextAsync(new BrowserNewContextOptions
                {
                    AcceptDownloads = true,
                    ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
                });
                context.SetDefaultTimeout(15_000);
                return new BrowserSession(playwright, browser, await context.NewPageAsync());
            }
            catch
            {
                playwright.Dispose();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _browser.DisposeAsync();
            _playwright.Dispose();
        }
    }
}
