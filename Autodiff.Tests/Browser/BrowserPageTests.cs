namespace Autodiff.Tests.Browser;

/// <summary>The harness itself: a clean page passes, and each kind of error a page can make is caught.</summary>
public class BrowserPageTests
{
    private static string WritePage(string name, string body)
    {
        var path = Path.Combine(TestContext.CurrentContext.WorkDirectory, name);
        File.WriteAllText(path, $"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>t</title></head><body>{body}</body></html>");
        return path;
    }

    [Test]
    public async Task ACleanPage_LoadsWithNoErrors_AndAnswersClicksAndKeys()
    {
        var path = WritePage("browser-clean.html", """
            <button data-testid="next" onclick="n.textContent = +n.textContent + 1">next</button><span data-testid="n" id="n">0</span>
            <script>document.addEventListener('keydown', e => { if (e.key === 'ArrowRight') n.textContent = +n.textContent + 10; });</script>
            """);
        await using var browser = await BrowserPage.OpenAsync(path);
        await browser.Page.GetByTestId("next").ClickAsync();
        await browser.Page.Keyboard.PressAsync("ArrowRight");
        Assert.That(await browser.Page.GetByTestId("n").TextContentAsync(), Is.EqualTo("11"));
        browser.AssertNoErrors();
        Assert.That(new FileInfo(await browser.ScreenshotAsync("browser-clean.png")).Length, Is.GreaterThan(0));
    }

    [Test]
    public async Task ConsoleErrors_ScriptExceptions_AndNetworkRequests_AreAllReported()
    {
        var path = WritePage("browser-errors.html", """
            <img src="http://example.invalid/x.png">
            <script>console.error('boom'); undefinedFunction();</script>
            """);
        await using var browser = await BrowserPage.OpenAsync(path);
        var errors = string.Join("\n", browser.Errors);
        Assert.That(errors, Does.Contain("console.error: boom"));
        Assert.That(errors, Does.Contain("undefinedFunction"));
        Assert.That(errors, Does.Contain("example.invalid"));
        Assert.Throws<AssertionException>(browser.AssertNoErrors);
    }

    [Test]
    public void AMissingPage_IsAClearError()
    {
        if (BrowserPage.ChromiumPath() is null) Assert.Ignore("No Chromium installed.");
        Assert.ThrowsAsync<FileNotFoundException>(() => BrowserPage.OpenAsync("/nonexistent/page.html"));
    }
}
