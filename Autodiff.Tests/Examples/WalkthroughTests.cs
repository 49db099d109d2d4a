using Autodiff.Examples.Walkthrough;
using Spectre.Console;

namespace Autodiff.Tests.Examples;

/// <summary>Each walk-through subcommand runs in-process and prints the notes' numbers.</summary>
public class WalkthroughTests
{
    private static string Capture(Func<IAnsiConsole, int> run)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 240;
        Assert.That(run(console), Is.EqualTo(0));
        return writer.ToString();
    }

    private static string[] Lines(string text) => text.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();

    /// <summary>The cells of the table row whose first cell is <paramref name="first"/>.</summary>
    private static string[] Row(string text, string first) =>
        Lines(text).Select(l => l.Split('│').Select(c => c.Trim()).Where(c => c.Length > 0).ToArray())
            .First(cells => cells.Length > 0 && cells[0] == first);

    [Test]
    public void Graph_PrintsApplePricesGradientsAndWritesDot()
    {
        var dir = Path.Combine(Path.GetTempPath(), "autodiff-graph-" + Guid.NewGuid());
        try
        {
            var text = Capture(c => GraphDemo.Run(c, dir));
            Assert.That(text, Does.Contain("price = 220").And.Contain("price = 715"));
            var rows = Lines(text).Select(l => l.Split('│').Select(c => c.Trim()).Where(c => c.Length > 0).ToArray()).Where(r => r.Length == 3).ToList();
            // First graph: apple 2.2, appleCount 110, tax 200; second: 2.2, 110, 3.3, 165, 650.
            Assert.That(rows.Where(r => r[0] == "apple").Select(r => r[2]), Is.EqualTo(new[] { "2.2", "2.2" }));
            Assert.That(rows.Where(r => r[0] == "appleCount").Select(r => r[2]), Is.EqualTo(new[] { "110", "110" }));
            Assert.That(rows.Where(r => r[0] == "tax").Select(r => r[2]), Is.EqualTo(new[] { "200", "650" }));
            Assert.That(rows.Single(r => r[0] == "orange")[2], Is.EqualTo("3.3"));
            Assert.That(rows.Single(r => r[0] == "orangeCount")[2], Is.EqualTo("165"));
            Assert.That(text, Does.Contain("da += g·b, db += g·a"));
            var dot = File.ReadAllText(Path.Combine(dir, "apples.dot"));
            Assert.That(dot, Does.StartWith("digraph tape {").And.Contain("orangeCount").And.Contain("Add"));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void ChainRule_PrintsTwoTimesSumAndTheSwappedMultiply()
    {
        var text = Capture(c => ChainRuleDemo.Run(c, 2, 3));
        Assert.That(text, Does.Contain("z = 25"));
        Assert.That(text, Does.Contain("2(x + y) = 10; tape: 10"));
        Assert.That(text, Does.Contain("dx = 1.3 × y = 1.3 × 5 = 6.5"));
        Assert.That(text, Does.Contain("dy = 1.3 × x = 1.3 × 10 = 13"));
    }

    [Test]
    public void Perceptron_StopsAtEpochFourWithTheNotesWeights()
    {
        var text = Capture(PerceptronDemo.Run);
        Assert.That(Row(text, "0"), Is.EqualTo(new[] { "0", "[2, 0, -1.5, 0.5]", "[1, 1]", "0", "[1, 0, 0, 1]", "0.5" }));
        Assert.That(Row(text, "3")[5], Is.EqualTo("0.05"));
        Assert.That(Row(text, "4"), Is.EqualTo(new[] { "4", "[-0.25, 0.45, -0.375, 0.725]", "[-0.35, 0.55]", "-0.45", "[0, 1, 0, 1]", "0" }));
        Assert.That(Lines(text).Any(l => l.StartsWith("│ 5 ")), Is.False);
        Assert.That(text, Does.Contain("final w = [-0.35, 0.55], b = -0.45"));
    }

    [Test]
    public void Layers_HandAndTapeAgree_ForEveryLayer()
    {
        var text = Capture(LayersDemo.Run);
        foreach (var layer in new[] { "Add", "Mul", "ReLU", "Sigmoid", "Affine", "Softmax-with-loss" })
        {
            var cells = Row(text, layer);
            Assert.That(cells[1], Is.EqualTo(cells[2]), $"{layer} forward");
            Assert.That(cells[3], Is.EqualTo(cells[4]), $"{layer} backward");
        }
        Assert.That(Row(text, "Mul")[3], Is.EqualTo("[1.5, -0.5]"));                // dout · y
        Assert.That(Row(text, "Softmax-with-loss")[4], Is.EqualTo("[0.0182113, 0.245192, -0.263403]"));   // y - t
    }

    [Test]
    public void SimpleNetwork_LossFalls()
    {
        var text = Capture(c => SimpleNetworkDemo.Run(c, steps: 100));
        double Loss(int step) => double.Parse(Lines(text).Single(l => l.StartsWith($"step {step,3}:")).Split("loss ")[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(Loss(100), Is.LessThan(Loss(1)));
        Assert.That(text, Does.Contain("Linear(inFeatures: 10, outFeatures: 20"));
    }

    [Test]
    public void NumericVsBackprop_AgreesToTinyError_AndTapeIsFaster()
    {
        var text = Capture(c => NumericVsBackpropDemo.Run(c, batchSize: 2, hidden: 4, dataDirectory: "/nonexistent"));
        var worst = double.Parse(Lines(text).Single(l => l.StartsWith("largest difference:")).Split(": ")[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(worst, Is.LessThan(1e-7));
        Assert.That(text, Does.Contain("random images").And.Contain("3,190 parameters"));
        Assert.That(text, Does.Match(@"the tape is [\d,]+ times faster"));
    }
}
