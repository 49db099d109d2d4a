using System.Globalization;
using Autodiff.Examples.Walkthrough;
using Autodiff.Tests.Browser;
using Microsoft.Playwright;
using Spectre.Console;

namespace Autodiff.Tests.Visualization;

/// <summary>The tape pages in headless Chromium: the four walk-throughs' pages load with no errors, step by keyboard and
/// by clicking, and show the tape's numbers. Skipped (never passed) where no Chromium is installed.</summary>
[Category("Browser")]
public class TapePageBrowserTests
{
    private static string Folder => Path.Combine(TestContext.CurrentContext.WorkDirectory, "tape-pages");

    /// <summary>Writes one walk-through's page with its --html option, as the command line does.</summary>
    internal static string ExamplePage(string example)
    {
        Directory.CreateDirectory(Folder);
        string path = Path.Combine(Folder, example + ".html");
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(new StringWriter()), Interactive = InteractionSupport.No });
        int code = example switch
        {
            "apples" => GraphDemo.Run(console, Path.Combine(Folder, "dot"), path),
            "chain-rule" => ChainRuleDemo.Run(console, htmlPath: path),
            "perceptron" => PerceptronDemo.Run(console, path),
            "two-layer" => NumericVsBackpropDemo.Run(console, batchSize: 2, hidden: 8, dataDirectory: "/nonexistent", htmlPath: path),
            _ => throw new ArgumentException(example),
        };
        Assert.That(code, Is.EqualTo(0));
        return path;
    }

    private static string WritePage(string name, string html)
    {
        Directory.CreateDirectory(Folder);
        string path = Path.Combine(Folder, name + ".html");
        File.WriteAllText(path, html);
        return path;
    }

    private static async Task<int> Step(IPage page) =>
        int.Parse((await page.GetByTestId("status").GetAttributeAsync("data-step"))!, CultureInfo.InvariantCulture);

    private static async Task<int> Total(IPage page) =>
        int.Parse((await page.GetByTestId("status").GetAttributeAsync("data-total"))!, CultureInfo.InvariantCulture);

    private static async Task<string> Text(IPage page, string testId) => (await page.GetByTestId(testId).TextContentAsync())!;

    private static async Task<string> GradOf(IPage page, string name) =>
        (await page.Locator($"[data-name='{name}'] .grad").TextContentAsync())!;

    private static string Number(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>What every value and gradient cell shows, to compare two states of a page.</summary>
    private static async Task<string> Snapshot(IPage page) =>
        await page.EvaluateAsync<string>("() => [...document.querySelectorAll('.node .v')].map(e => e.textContent).join('|')")
        + await Text(page, "status") + await Text(page, "explain");

    [TestCase("apples")]
    [TestCase("chain-rule")]
    [TestCase("perceptron")]
    [TestCase("two-layer")]
    public async Task ExamplePage_Loads_StepsToTheEndByKeyboard_WithNoErrors(string example)
    {
        await using var browser = await BrowserPage.OpenAsync(ExamplePage(example));
        var page = browser.Page;
        browser.AssertNoErrors();
        Assert.That(await page.GetByTestId("status").GetAttributeAsync("data-phase"), Is.EqualTo("start"));
        int total = await Total(page);
        Assert.That(total, Is.GreaterThan(2));
        for (int i = 1; i <= total; i++)
        {
            await page.Keyboard.PressAsync("ArrowRight");
            Assert.That(await Step(page), Is.EqualTo(i));
        }
        await page.Keyboard.PressAsync("ArrowRight");                  // past the end: stays
        Assert.That(await Step(page), Is.EqualTo(total));
        Assert.That(await page.GetByTestId("status").GetAttributeAsync("data-phase"), Is.EqualTo("done"));
        Assert.That(await page.GetByTestId("step-next").IsDisabledAsync(), Is.True);
        browser.AssertNoErrors();
        await browser.ScreenshotAsync($"tape-{example}.png");
    }

    [Test]
    public async Task ApplesPage_AfterTheFullBackward_ByClicking_ShowsTheNotesGradients()
    {
        await using var browser = await BrowserPage.OpenAsync(ExamplePage("apples"));
        var page = browser.Page;
        int total = await Total(page);
        Assert.That(total, Is.EqualTo(8));                             // 4 ops forward, 4 back
        for (int i = 0; i < total; i++) await page.GetByTestId("step-next").ClickAsync();
        Assert.That(await Step(page), Is.EqualTo(total));
        string[] names = ["apple", "appleCount", "orange", "orangeCount", "tax"];
        var shown = new List<string>();
        foreach (var name in names) shown.Add(await GradOf(page, name));
        Assert.That(shown, Is.EqualTo(new[] { "2.2", "110", "3.3", "165", "650" }));
        browser.AssertNoErrors();
        await browser.ScreenshotAsync("tape-apples-final.png");
    }

    [Test]
    public async Task ApplesPage_AtEachBackwardStep_ShowsTheTapesIncomingGradientAndContributions()
    {
        Tape.Current.Clear();
        var apple = Tensor.Scalar(100.0, DType.Float64).RequireGrad();
        var count = Tensor.Scalar(2.0, DType.Float64).RequireGrad();
        var orange = Tensor.Scalar(150.0, DType.Float64).RequireGrad();
        var orangeCount = Tensor.Scalar(3.0, DType.Float64).RequireGrad();
        var tax = Tensor.Scalar(1.1, DType.Float64).RequireGrad();
        var apples = apple * count;
        var oranges = orange * orangeCount;
        var sum = apples + oranges;
        var price = sum * tax;
        var path = WritePage("apples-steps", price.ToHtml());
        foreach (var t in new[] { apples, oranges, sum }) t.RetainGrad();
        price.Backward();                                              // the engine's own numbers, to compare with

        await using var browser = await BrowserPage.OpenAsync(path);
        var page = browser.Page;
        for (int i = 0; i < 4 + 2; i++) await page.Keyboard.PressAsync("ArrowRight");   // forward, then Mul (root), Add
        Assert.That(await Text(page, "status"), Does.StartWith("Backward 2/4: Add"));
        Assert.That(await page.Locator($"#node-{sum.Id}").GetAttributeAsync("class"), Does.Contain("current"));
        Assert.That(await Text(page, "explain-incoming"), Is.EqualTo(Number(sum.Grad!.ItemDouble())));           // 1.1
        Assert.That(await Text(page, "explain-contribution-0"), Is.EqualTo(Number(apples.Grad!.ItemDouble())));  // 1.1
        Assert.That(await Text(page, "explain-contribution-1"), Is.EqualTo(Number(oranges.Grad!.ItemDouble())));
        Assert.That(await Text(page, $"node-{apples.Id}-grad"), Is.EqualTo(Number(apples.Grad!.ItemDouble())));
        Assert.That(await Text(page, $"node-{apple.Id}-grad"), Is.Empty);                 // not reached yet

        await page.GetByTestId("step-next").ClickAsync();              // Mul orange · orangeCount
        await page.GetByTestId("step-next").ClickAsync();              // Mul apple · appleCount
        Assert.That(await Text(page, "explain-incoming"), Is.EqualTo(Number(apples.Grad!.ItemDouble())));
        Assert.That(await Text(page, "explain-contribution-0"), Is.EqualTo(Number(apple.Grad!.ItemDouble())));    // 2.2
        Assert.That(await Text(page, "explain-contribution-1"), Is.EqualTo(Number(count.Grad!.ItemDouble())));    // 110
        Assert.That(await Text(page, $"node-{tax.Id}-grad"), Is.EqualTo(Number(tax.Grad!.ItemDouble())));        // 650
        Assert.That(await Text(page, $"node-{price.Id}-value"), Is.EqualTo("715"));
        browser.AssertNoErrors();
    }

    [Test]
    public async Task StepBack_UndoesAStep_AndReset_ReturnsToTheStart_ByKeyboardAndByClicking()
    {
        await using var browser = await BrowserPage.OpenAsync(ExamplePage("apples"));
        var page = browser.Page;
        var start = await Snapshot(page);
        var states = new List<string> { start };
        for (int i = 0; i < 8; i++)
        {
            await page.Keyboard.PressAsync("ArrowRight");
            states.Add(await Snapshot(page));
        }
        Assert.That(states.Distinct().Count(), Is.EqualTo(9), "every step changes what the page shows");
        for (int i = 7; i >= 4; i--)
        {
            await page.Keyboard.PressAsync("ArrowLeft");
            Assert.That(await Snapshot(page), Is.EqualTo(states[i]), $"back to step {i}");
        }
        await page.GetByTestId("step-back").ClickAsync();
        Assert.That(await Snapshot(page), Is.EqualTo(states[3]));
        await page.Keyboard.PressAsync("Home");
        Assert.That(await Snapshot(page), Is.EqualTo(start));
        Assert.That(await page.GetByTestId("step-back").IsDisabledAsync(), Is.True);

        await page.Keyboard.PressAsync("End");
        Assert.That(await Snapshot(page), Is.EqualTo(states[8]));
        await page.GetByTestId("step-reset").ClickAsync();
        Assert.That(await Snapshot(page), Is.EqualTo(start));
        await page.GetByTestId("step-end").ClickAsync();
        Assert.That(await Snapshot(page), Is.EqualTo(states[8]));
        browser.AssertNoErrors();
    }

    [Test]
    public async Task Play_StepsByItself_AndPauseStops_ByClickAndBySpace()
    {
        await using var browser = await BrowserPage.OpenAsync(ExamplePage("chain-rule"));
        var page = browser.Page;
        var play = page.GetByTestId("play");
        await play.ClickAsync();
        Assert.That(await play.GetAttributeAsync("aria-pressed"), Is.EqualTo("true"));
        await page.WaitForFunctionAsync("() => Number(document.querySelector('[data-testid=status]').dataset.step) >= 2");
        await play.ClickAsync();                                       // pause
        Assert.That(await play.GetAttributeAsync("aria-pressed"), Is.EqualTo("false"));
        int paused = await Step(page);
        await page.Keyboard.PressAsync("Home");
        await page.Keyboard.PressAsync(" ");                           // Space: play
        Assert.That(await play.GetAttributeAsync("aria-pressed"), Is.EqualTo("true"));
        await page.WaitForFunctionAsync("() => Number(document.querySelector('[data-testid=status]').dataset.step) >= 1");
        await page.Keyboard.PressAsync(" ");                           // Space: pause
        Assert.That(await play.GetAttributeAsync("aria-pressed"), Is.EqualTo("false"));
        int stopped = await Step(page);
        await page.WaitForTimeoutAsync(1000);                          // longer than a play tick: nothing moves when paused
        Assert.That(await Step(page), Is.EqualTo(stopped));
        Assert.That(paused, Is.GreaterThanOrEqualTo(2));
        browser.AssertNoErrors();
    }

    [Test]
    public async Task TwoLayerPage_ShowsLargeTensorsAsSummaries_AndAClickOpensTheirValues()
    {
        await using var browser = await BrowserPage.OpenAsync(ExamplePage("two-layer"));
        var page = browser.Page;
        await page.Keyboard.PressAsync("End");
        var cell = page.Locator("[data-name='W1'] .grad");
        Assert.That(await cell.TextContentAsync(), Does.StartWith("mean ").And.Contain("min ").And.Contain("max "));
        await cell.ClickAsync();
        Assert.That(await page.GetByTestId("values-dialog").IsVisibleAsync(), Is.True);
        var list = await Text(page, "values-list");
        Assert.That(list.Split('\n'), Has.Length.EqualTo(4096 / 8 + 1));   // W1 [784, 8]: the first 4096 values, a row a line, then …
        Assert.That(list, Does.EndWith("\n…"));
        await page.Keyboard.PressAsync("Escape");
        Assert.That(await page.GetByTestId("values-dialog").IsVisibleAsync(), Is.False);
        browser.AssertNoErrors();
    }

    [Test]
    public async Task APageOfSeveralHundredOps_Loads_AndStepsToTheEnd()
    {
        Tape.Current.Clear();
        var x = Tensor.FromArray([0.5, -0.25, 1, 2], 4).RequireGrad();
        var w = Tensor.FromArray([0.9, 1.1, 1.0, 0.95], 4).RequireGrad();
        var h = x;
        for (int i = 0; i < 150; i++) h = (h * w).Tanh();              // 300 ops, 150 deep
        var loss = h.Sum();
        var path = WritePage("deep", loss.ToHtml());
        Tape.Current.Clear();

        await using var browser = await BrowserPage.OpenAsync(path);
        var page = browser.Page;
        int total = await Total(page);
        Assert.That(total, Is.EqualTo(2 * 301));                       // 301 ops each way
        await page.Keyboard.PressAsync("End");
        Assert.That(await page.GetByTestId("status").GetAttributeAsync("data-phase"), Is.EqualTo("done"));
        Assert.That(await page.Locator(".node").CountAsync(), Is.EqualTo(303));
        await page.Keyboard.PressAsync("ArrowLeft");
        Assert.That(await Step(page), Is.EqualTo(total - 1));
        await browser.ScreenshotAsync("tape-deep.png");
        await page.Keyboard.PressAsync("Home");
        Assert.That(await Step(page), Is.EqualTo(0));
        browser.AssertNoErrors();
    }
}
