using Microsoft.Playwright;

namespace Autodiff.Tests.Browser;

/// <summary>
/// One HTML file opened in headless Chromium (Debian's <c>chromium</c>, driven by Playwright), with every console
/// error, uncaught page error and network request recorded. Pages are meant to be self-contained, so any request that
/// leaves the file system is blocked and counted as an error.
/// </summary>
/// <remarks>
/// Where no Chromium is installed the test calling <see cref="OpenAsync"/> reports itself skipped (never passed);
/// <c>.ci/run</c> installs it on a fresh machine. Playwright's own browser downloads are never used: the driver runs the
/// system browser named by <c>AUTODIFF_CHROMIUM</c>, else <c>/usr/bin/chromium</c>.
/// </remarks>
public sealed class BrowserPage : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly List<string> _errors;

    private BrowserPage(IPlaywright playwright, IBrowser browser, IPage page, List<string> errors) =>
        (_playwright, _browser, Page, _errors) = (playwright, browser, page, errors);

    /// <summary>The Playwright page: locate elements (<c>Page.GetByTestId("step-next")</c>), press keys
    /// (<c>Page.Keyboard.PressAsync("ArrowRight")</c>), evaluate script.</summary>
    public IPage Page { get; }

    /// <summary>Console errors, uncaught exceptions and blocked or failed requests, in the order they happened.</summary>
    public IReadOnlyList<string> Errors => _errors;

    /// <summary>The Chromium executable the tests use, or null when the machine has none.</summary>
    public static string? ChromiumPath()
    {
        var configured = Environment.GetEnvironmentVariable("AUTODIFF_CHROMIUM");
        if (!string.IsNullOrEmpty(configured)) return File.Exists(configured) ? configured : null;
        return new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);
    }

    /// <summary>Opens <paramref name="htmlPath"/> in a fresh headless browser at a laptop-sized viewport and waits for
    /// its load event. Skips the calling test when no Chromium is installed.</summary>
    public static async Task<BrowserPage> OpenAsync(string htmlPath, int width = 1366, int height = 768)
    {
        var executable = ChromiumPath();
        if (executable is null)
            Assert.Ignore("No Chromium found (/usr/bin/chromium or AUTODIFF_CHROMIUM): `apt-get install chromium` to run the browser tests.");
        if (!File.Exists(htmlPath)) throw new FileNotFoundException("BrowserPage: no page to open", htmlPath);

        var playwright = await Playwright.CreateAsync();
        IBrowser? browser = null;
        try
        {
            browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = executable, Headless = true });
            var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height } });
            var errors = new List<string>();
            await context.RouteAsync("**/*", async route =>
            {
                if (route.Request.Url.StartsWith("file:", StringComparison.Ordinal)) { await route.ContinueAsync(); return; }
                lock (errors) errors.Add($"blocked request: {route.Request.Url}");
                await route.AbortAsync();
            });
            var page = await context.NewPageAsync();
            page.Console += (_, message) =>
            {
                if (message.Type == "error") lock (errors) errors.Add($"console.error: {message.Text}");
            };
            page.PageError += (_, error) => { lock (errors) errors.Add($"page error: {error}"); };
            page.RequestFailed += (_, request) => { lock (errors) errors.Add($"failed request: {request.Url} ({request.Failure})"); };
            await page.GotoAsync(new Uri(Path.GetFullPath(htmlPath)).AbsoluteUri, new() { WaitUntil = WaitUntilState.Load });
            return new BrowserPage(playwright, browser, page, errors);
        }
        catch
        {
            if (browser is not null) await browser.DisposeAsync();
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>Fails the test, listing them, if the page has logged any error so far.</summary>
    public void AssertNoErrors()
    {
        lock (_errors) Assert.That(_errors, Is.Empty, "the page logged errors:\n" + string.Join("\n", _errors));
    }

    /// <summary>Writes a full-page PNG into the test's work directory, attaches it to the test result and returns its path.</summary>
    public async Task<string> ScreenshotAsync(string fileName)
    {
        var path = Path.Combine(TestContext.CurrentContext.WorkDirectory, fileName);
        await Page.ScreenshotAsync(new() { Path = path, FullPage = true });
        TestContext.AddTestAttachment(path, "final state of the page");
        return path;
    }

    /// <summary>Closes the browser and the Playwright driver.</summary>
    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
