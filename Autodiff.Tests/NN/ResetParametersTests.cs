using Autodiff;
using Autodiff.NN;
using Autodiff.Optim;

namespace Autodiff.Tests.NN;

/// <summary>ResetParameters (Linear, Conv2d, Embedding) re-initialises the parameters in place, as PyTorch's
/// <c>reset_parameters()</c>: the same tensor objects, so an optimizer built earlier trains them and a frozen layer stays
/// frozen; the seeded values are those the factories draw.</summary>
public class ResetParametersTests
{
    [SetUp]
    public void ClearTape() => Tape.Current.Clear();

    private static IEnumerable<TestCaseData> Layers()
    {
        yield return new TestCaseData((Func<Module>)(() => new Linear(3, 2, generator: new Generator(1))),
            (Action<Module, Generator>)((m, g) => ((Linear)m).ResetParameters(g))).SetArgDisplayNames("Linear");
        yield return new TestCaseData((Func<Module>)(() => new Conv2d(2, 3, 3, generator: new Generator(1))),
            (Action<Module, Generator>)((m, g) => ((Conv2d)m).ResetParameters(g))).SetArgDisplayNames("Conv2d");
        yield return new TestCaseData((Func<Module>)(() => new Embedding(5, 4, paddingIdx: 1, generator: new Generator(1))),
            (Action<Module, Generator>)((m, g) => ((Embedding)m).ResetParameters(g))).SetArgDisplayNames("Embedding");
    }

    [TestCaseSource(nameof(Layers))]
    public void ResetParameters_RedrawsIntoTheSameTensors(Func<Module> create, Action<Module, Generator> reset)
    {
        var layer = create();
        var before = layer.Parameters().ToList();
        var oldValues = before.Select(p => p.ToDoubleArray()).ToList();
        reset(layer, new Generator(2));
        var after = layer.Parameters().ToList();
        Assert.That(after, Has.Count.EqualTo(before.Count));
        for (int i = 0; i < after.Count; i++)
        {
            Assert.That(after[i], Is.SameAs(before[i]), $"parameter {i} was replaced");
            Assert.That(after[i].ToDoubleArray(), Is.Not.EqualTo(oldValues[i]), $"parameter {i} was not redrawn");
            Assert.That(after[i].RequiresGrad, Is.True);
        }
    }

    [TestCaseSource(nameof(Layers))]
    public void ResetParameters_KeepsAFrozenLayerFrozen(Func<Module> create, Action<Module, Generator> reset)
    {
        var layer = create();
        foreach (var p in layer.Parameters()) p.RequiresGrad = false;
        reset(layer, new Generator(2));
        Assert.That(layer.Parameters().Select(p => p.RequiresGrad), Is.All.False);
    }

    [Test]
    public void OptimizerBuiltBeforeResetParameters_TrainsTheLayer()
    {
        // The new-user repro: build the optimizer, then reset. Before the fix the layer got new tensors, the optimizer
        // kept stepping the old ones, and the loss never moved.
        var layer = new Linear(3, 1, generator: new Generator(4));
        var opt = new SGD(layer.Parameters(), lr: 0.1);
        layer.ResetParameters(new Generator(5));
        var x = Tensor.Randn([16, 3], seed: 6);
        var y = x.MatMul(Tensor.FromArray([1f, -2f, 0.5f], 3, 1));
        double first = 0, last = 0;
        for (int step = 0; step < 50; step++)
        {
            opt.ZeroGrad();
            var loss = Functional.MseLoss(layer.Forward(x), y);
            if (step == 0) first = loss.Item();
            last = loss.Item();
            loss.Backward();
            opt.Step();
        }
        Assert.That(last, Is.LessThan(first * 0.1), $"loss went from {first} to {last}");
    }

    [Test]
    public void OptimizerBuiltBeforeResetParameters_StepsConv2dAndEmbedding()
    {
        var conv = new Conv2d(1, 2, 3, generator: new Generator(1));
        var embed = new Embedding(4, 3, generator: new Generator(2));
        var opt = new SGD(conv.Parameters().Concat(embed.Parameters()), lr: 0.5);
        conv.ResetParameters(new Generator(3));
        embed.ResetParameters(new Generator(4));
        var (convWeight, embedWeight) = (conv.Weight.ToArray(), embed.Weight.ToArray());
        var loss = conv.Forward(Tensor.Randn([1, 1, 4, 4], seed: 5)).Sum() + embed.Forward([0, 2]).Sum();
        loss.Backward();
        opt.Step();
        Assert.That(conv.Weight.ToArray(), Is.Not.EqualTo(convWeight), "Conv2d weight not stepped");
        Assert.That(embed.Weight.ToArray(), Is.Not.EqualTo(embedWeight), "Embedding weight not stepped");
    }

    [Test]
    public void ResetParameters_DrawsWhatTheFactoriesDraw_InTheSameOrder()
    {
        // Seeded models keep their initial weights: weight first, then bias, from one stream.
        var linear = new Linear(4, 3, generator: new Generator(0));
        linear.ResetParameters(new Generator(9));
        var g = new Generator(9);
        Assert.That(linear.Weight.ToArray(), Is.EqualTo(Tensor.Uniform([3, 4], -0.5, 0.5, g).ToArray()));
        Assert.That(linear.Bias!.ToArray(), Is.EqualTo(Tensor.Uniform([3], -0.5, 0.5, g).ToArray()));

        var conv = new Conv2d(2, 3, 3, generator: new Generator(0));
        conv.ResetParameters(new Generator(9));
        g = new Generator(9);
        double bound = 1 / Math.Sqrt(2 * 3 * 3);
        Assert.That(conv.Weight.ToArray(), Is.EqualTo(Tensor.Uniform([3, 2, 3, 3], -bound, bound, g).ToArray()));
        Assert.That(conv.Bias!.ToArray(), Is.EqualTo(Tensor.Uniform([3], -bound, bound, g).ToArray()));

        var embed = new Embedding(5, 4, paddingIdx: 1, generator: new Generator(0));
        embed.ResetParameters(new Generator(9));
        var expected = Tensor.Randn([5, 4], new Generator(9)).ToArray();
        Array.Clear(expected, 4, 4);   // the padding row
        Assert.That(embed.Weight.ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void ResetParameters_BetweenForwardAndBackward_Throws_AsAnyInPlaceChange()
    {
        var layer = new Linear(2, 2, generator: new Generator(1));
        var loss = layer.Forward(Tensor.Randn([3, 2], seed: 2)).Sum();
        layer.ResetParameters();
        var ex = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.That(ex!.Message, Does.Contain("modified in place"));
    }
}
