using System.Text.Json;

namespace Autodiff.Tests.Visualization;

/// <summary>Tape.ToHtml / Tensor.ToHtml: one self-contained page whose embedded numbers are the engine's.</summary>
public class TapePageTests
{
    private static Tensor Leaf(string name, double value)
    {
        var t = Tensor.Scalar(value, DType.Float64).RequireGrad();
        t.Name = name;
        return t;
    }

    /// <summary>The notes' apples and oranges: price = (apple · appleCount + orange · orangeCount) · tax = 715.</summary>
    private static (Tensor Price, Tensor[] Leaves, Tensor Sum) Apples()
    {
        Tape.Current.Clear();
        var apple = Leaf("apple", 100);
        var count = Leaf("appleCount", 2);
        var orange = Leaf("orange", 150);
        var orangeCount = Leaf("orangeCount", 3);
        var tax = Leaf("tax", 1.1);
        var sum = apple * count + orange * orangeCount;
        return (sum * tax, [apple, count, orange, orangeCount, tax], sum);
    }

    /// <summary>The JSON the page embeds, parsed back.</summary>
    internal static JsonElement Data(string html)
    {
        const string open = "<script type=\"application/json\" id=\"tape-data\">";
        int start = html.IndexOf(open, StringComparison.Ordinal) + open.Length;
        int end = html.IndexOf("</script>", start, StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(open.Length), "the page has no tape-data script");
        return JsonDocument.Parse(html[start..end]).RootElement.Clone();
    }

    private static JsonElement Node(JsonElement data, Tensor t) =>
        data.GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("id").GetString() == t.Id.ToString());

    private static double[] Values(JsonElement summary) => summary.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();

    /// <summary>A node's gradient after the last backward step that touched it.</summary>
    private static double[] FinalGrad(JsonElement data, Tensor t)
    {
        double[]? last = null;
        foreach (var step in data.GetProperty("backward").EnumerateArray())
            foreach (var c in step.GetProperty("contributions").EnumerateArray())
                if (c.GetProperty("node").GetString() == t.Id.ToString()) last = Values(c.GetProperty("total"));
        return last ?? throw new AssertionException($"no gradient reached {t.Label}");
    }

    [Test]
    public void ToHtml_IsSelfContained_NoNetworkNoExternalFiles()
    {
        var html = Apples().Price.ToHtml();
        Assert.That(html, Does.StartWith("<!DOCTYPE html>"));
        Assert.That(html, Does.Not.Contain("http://").And.Not.Contain("https://"));
        Assert.That(html, Does.Not.Contain("<script src").IgnoreCase.And.Not.Contain("<link").IgnoreCase);
        Assert.That(html, Does.Not.Contain(" src=").And.Not.Contain("url(").And.Not.Contain("@import").And.Not.Contain("fetch("));
        Assert.That(html, Does.Not.Contain("{{"), "a placeholder was left unfilled");
        Assert.That(html, Does.Contain("data-testid=\"step-next\"").And.Contain("data-testid=\"status\""));
    }

    [TestCase("apples")]
    [TestCase("chain-rule")]
    [TestCase("perceptron")]
    [TestCase("two-layer")]
    public void ExamplePages_AreSelfContained_AndCarryBackwardSteps(string example)
    {
        var html = File.ReadAllText(TapePageBrowserTests.ExamplePage(example));
        Assert.That(html, Does.Not.Contain("http://").And.Not.Contain("https://"));
        Assert.That(html, Does.Not.Contain("<script src").IgnoreCase.And.Not.Contain("<link").IgnoreCase);
        var data = Data(html);
        Assert.That(data.GetProperty("root").ValueKind, Is.EqualTo(JsonValueKind.String));
        Assert.That(data.GetProperty("backward").GetArrayLength(), Is.GreaterThan(0));
    }

    [Test]
    public void ToHtml_EmbedsTheForwardValues_AndTheGradientsBackwardComputes()
    {
        var (price, leaves, _) = Apples();
        var data = Data(price.ToHtml());
        Assert.That(data.GetProperty("version").GetInt32(), Is.EqualTo(1));
        Assert.That(data.GetProperty("root").GetString(), Is.EqualTo(price.Id.ToString()));
        Assert.That(Values(Node(data, price).GetProperty("value")), Is.EqualTo(new[] { 715.0 }).Within(1e-12));
        Assert.That(Node(data, leaves[0]).GetProperty("name").GetString(), Is.EqualTo("apple"));
        Assert.That(Node(data, leaves[0]).GetProperty("kind").GetString(), Is.EqualTo("leaf"));
        Assert.That(Node(data, price).GetProperty("op").GetString(), Is.EqualTo("Mul"));
        Assert.That(Node(data, price).GetProperty("formula").GetString(), Is.EqualTo("da += g·b, db += g·a"));
        Assert.That(Node(data, price).GetProperty("edgeFormulas").EnumerateArray().Select(e => e.GetString()),
            Is.EqualTo(new[] { "da += g·b", "db += g·a" }));
        var ops = data.GetProperty("nodes").EnumerateArray().Where(n => n.GetProperty("kind").GetString() == "op").ToList();
        Assert.That(ops.Select(n => n.GetProperty("step").GetInt32()), Is.EqualTo(new[] { 0, 1, 2, 3 }));

        price.Backward();                                    // the page changed nothing: Backward still runs, and agrees
        foreach (var leaf in leaves)
            Assert.That(FinalGrad(data, leaf), Is.EqualTo(new[] { leaf.Grad!.ItemDouble() }).Within(0), leaf.Name);
        Assert.That(leaves.Select(l => l.Grad!.ItemDouble()), Is.EqualTo(new[] { 2.2, 110, 3.3, 165, 650 }).Within(1e-12));
    }

    [Test]
    public void ToHtml_EachBackwardStep_HoldsTheIncomingGradientAndEachContribution()
    {
        var (price, leaves, sum) = Apples();
        sum.RetainGrad();
        var data = Data(price.ToHtml());
        var steps = data.GetProperty("backward").EnumerateArray().ToList();
        Assert.That(steps, Has.Count.EqualTo(4));                  // Mul (root), Add, Mul, Mul: reverse recording order
        Assert.That(steps[0].GetProperty("node").GetString(), Is.EqualTo(price.Id.ToString()));
        Assert.That(Values(steps[0].GetProperty("incoming")), Is.EqualTo(new[] { 1.0 }));
        var add = steps[1];
        Assert.That(add.GetProperty("node").GetString(), Is.EqualTo(sum.Id.ToString()));
        price.Backward();
        Assert.That(Values(add.GetProperty("incoming")), Is.EqualTo(new[] { sum.Grad!.ItemDouble() }));   // 1.1
        var contributions = add.GetProperty("contributions").EnumerateArray().ToList();
        Assert.That(contributions.Select(c => c.GetProperty("input").GetInt32()), Is.EqualTo(new[] { 0, 1 }));
        Assert.That(contributions.Select(c => Values(c.GetProperty("value"))[0]), Is.EqualTo(new[] { 1.1, 1.1 }).Within(1e-15));
        var last = steps[3].GetProperty("contributions").EnumerateArray().ToList();         // apple · appleCount
        Assert.That(last.Select(c => Values(c.GetProperty("value"))[0]),
            Is.EqualTo(new[] { leaves[0].Grad!.ItemDouble(), leaves[1].Grad!.ItemDouble() }));
    }

    [Test]
    public void ToHtml_ChangesNoGradAndReleasesNothing()
    {
        var (price, leaves, _) = Apples();
        int before = Tape.Current.Count;
        price.ToHtml();
        Tape.Current.ToHtml();
        Assert.That(leaves.Select(l => l.Grad), Is.All.Null);
        Assert.That(Tape.Current.Count, Is.EqualTo(before));
        price.Backward();
        Assert.That(leaves[4].Grad!.ItemDouble(), Is.EqualTo(650).Within(1e-12));
    }

    [Test]
    public void ToHtml_BroadcastContribution_IsSummedToTheInputsShape_AsBackwardDoes()
    {
        Tape.Current.Clear();
        var a = Tensor.FromArray([1.0, 2, 3, 4, 5, 6], 2, 3).RequireGrad();
        var b = Tensor.FromArray([10.0, 20, 30], 3).RequireGrad();
        var sum = a + b;                                      // b broadcast over a's 2 rows
        var loss = (sum * sum).Sum();
        var data = Data(loss.ToHtml());
        loss.Backward();
        Assert.That(FinalGrad(data, b), Is.EqualTo(b.Grad!.ToDoubleArray()));
        Assert.That(FinalGrad(data, a), Is.EqualTo(a.Grad!.ToDoubleArray()));
        var toB = data.GetProperty("backward").EnumerateArray().SelectMany(s => s.GetProperty("contributions").EnumerateArray())
            .Single(c => c.GetProperty("node").GetString() == b.Id.ToString());
        Assert.That(toB.GetProperty("value").GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()), Is.EqualTo(new[] { 3 }));
    }

    [Test]
    public void ToHtml_ATensorUsedTwice_ReceivesTwoContributions_AndTheirSum()
    {
        Tape.Current.Clear();
        var x = Leaf("x", 3);
        var y = x * x;                                        // dy/dx = 2x = 6: 3 from each input of the Mul
        var data = Data(y.ToHtml());
        var step = data.GetProperty("backward").EnumerateArray().Single();
        var contributions = step.GetProperty("contributions").EnumerateArray().ToList();
        Assert.That(contributions.Select(c => Values(c.GetProperty("value"))[0]), Is.EqualTo(new[] { 3.0, 3.0 }));
        Assert.That(contributions.Select(c => Values(c.GetProperty("total"))[0]), Is.EqualTo(new[] { 3.0, 6.0 }));
    }

    [Test]
    public void ToHtml_LargeTensors_CarryAShapeASummaryAndAtMost4096Values()
    {
        Tape.Current.Clear();
        var x = Tensor.Arange(10_000, DType.Float64).Reshape(100, 100).RequireGrad();
        var loss = (x * 2).Mean();
        var value = Node(Data(loss.ToHtml()), x).GetProperty("value");
        Assert.That(value.GetProperty("numel").GetInt32(), Is.EqualTo(10_000));
        Assert.That(value.GetProperty("truncated").GetBoolean(), Is.True);
        Assert.That(value.GetProperty("values").GetArrayLength(), Is.EqualTo(4096));
        Assert.That(value.GetProperty("mean").GetDouble(), Is.EqualTo(4999.5));
        Assert.That(value.GetProperty("min").GetDouble(), Is.EqualTo(0));
        Assert.That(value.GetProperty("max").GetDouble(), Is.EqualTo(9999));
        Assert.That(value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()), Is.EqualTo(new[] { 100, 100 }));
    }

    [Test]
    public void ToHtml_NonFiniteValues_AreWrittenAsStrings()
    {
        Tape.Current.Clear();
        var x = Tensor.FromArray([-1.0, 0, 1], 3).RequireGrad();
        var y = x.Log();                                      // NaN, -Infinity, 0
        var value = Node(Data(y.ToHtml(Tensor.Ones([3], DType.Float64))), y).GetProperty("value").GetProperty("values").EnumerateArray().ToList();
        Assert.That(value[0].GetString(), Is.EqualTo("NaN"));
        Assert.That(value[1].GetString(), Is.EqualTo("-Infinity"));
        Assert.That(value[2].GetDouble(), Is.EqualTo(0));
    }

    [Test]
    public void ToHtml_NonScalar_TakesAGradient_AsBackwardDoes()
    {
        Tape.Current.Clear();
        var x = Tensor.FromArray([1.0, 2, 3], 3).RequireGrad();
        var y = x * x;
        var data = Data(y.ToHtml(Tensor.FromArray([1.0, 10, 100], 3)));
        Assert.That(FinalGrad(data, x), Is.EqualTo(new[] { 2.0, 40, 600 }));
        var ex = Assert.Throws<ArgumentException>(() => y.ToHtml());
        Assert.That(ex!.Message, Does.Contain("not a scalar").And.Contain("[3]"));
    }

    [Test]
    public void ToHtml_NamesAndTitle_CannotBreakOutOfThePage()
    {
        Tape.Current.Clear();
        var x = Leaf("</script><script>alert(1)</script>", 2);
        var html = (x * x).ToHtml(title: "<b>bold</b> & more");
        Assert.That(html, Does.Not.Contain("<script>alert(1)"));
        Assert.That(html, Does.Contain("&lt;b&gt;bold&lt;/b&gt; &amp; more"));
        Assert.That(Node(Data(html), x).GetProperty("name").GetString(), Is.EqualTo("</script><script>alert(1)</script>"));
    }

    [Test]
    public void TapeToHtml_DrawsEveryEntry_AndBackpropagatesFromTheLastScalar()
    {
        var (price, _, _) = Apples();
        var data = Data(Tape.Current.ToHtml("apples"));
        Assert.That(data.GetProperty("title").GetString(), Is.EqualTo("apples"));
        Assert.That(data.GetProperty("root").GetString(), Is.EqualTo(price.Id.ToString()));
        Assert.That(data.GetProperty("backward").GetArrayLength(), Is.EqualTo(4));
    }

    [Test]
    public void TapeToHtml_LastEntryNotAScalar_HasForwardStepsOnly()
    {
        Tape.Current.Clear();
        var x = Tensor.FromArray([1.0, 2], 2).RequireGrad();
        _ = x * x;
        var data = Data(Tape.Current.ToHtml());
        Assert.That(data.GetProperty("root").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(data.GetProperty("backward").GetArrayLength(), Is.EqualTo(0));
        Tape.Current.Clear();
    }

    [Test]
    public void TapeToHtml_Throws_WhenTheTapeIsEmpty()
    {
        Tape.Current.Clear();
        var ex = Assert.Throws<InvalidOperationException>(() => Tape.Current.ToHtml());
        Assert.That(ex!.Message, Does.StartWith("Tape.ToHtml: the tape is empty"));
    }

    [Test]
    public void ToHtml_Throws_ForATensorNotOnTheTape()
    {
        Tape.Current.Clear();
        var leaf = Leaf("w", 1);
        var ex = Assert.Throws<InvalidOperationException>(() => leaf.ToHtml());
        Assert.That(ex!.Message, Does.StartWith("Tensor.ToHtml: w[] was not produced by a recorded op"));
        Tensor unrecorded;
        using (Tape.NoGrad()) unrecorded = leaf * 2;
        Assert.Throws<InvalidOperationException>(() => unrecorded.ToHtml());
    }

    [Test]
    public void ToHtml_Throws_AfterBackwardReleasedTheGraph()
    {
        var (price, _, _) = Apples();
        price.Backward();
        var ex = Assert.Throws<InvalidOperationException>(() => price.ToHtml());
        Assert.That(ex!.Message, Does.Contain("already released by a Backward").And.Contain("retainGraph"));
    }

    [Test]
    public void ToHtml_AfterBackwardWithRetainGraph_StillWorks()
    {
        var (price, _, _) = Apples();
        price.Backward(retainGraph: true);
        Assert.That(Values(Node(Data(price.ToHtml()), price).GetProperty("value")), Is.EqualTo(new[] { 715.0 }).Within(1e-12));
        Tape.Current.Clear();
    }

    [TestCase("da += g·b, db += g·a", 2, new[] { "da += g·b", "db += g·a" })]
    [TestCase("dx += g·f(a, b)", 1, new[] { "dx += g·f(a, b)" })]
    [TestCase("da += g, db += g", 3, new[] { "da += g, db += g", "da += g, db += g", "da += g, db += g" })]
    public void SplitFormula_GivesOnePartPerInput_OrTheWholeFormula(string formula, int inputs, string[] expected) =>
        Assert.That(TapePage.SplitFormula(formula, inputs), Is.EqualTo(expected));
}
