using Autodiff;
using Autodiff.NN;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.NN;

/// <summary>Autodiff.NN/Functional.Layers.cs: F.dropout, F.layer_norm and F.one_hot.</summary>
[NonParallelizable]                                          // reseeds Generator.Default
public class FunctionalLayersTests
{
    // ---- Dropout ----------------------------------------------------------------------------------------------------

    [Test]
    public void Dropout_InTraining_ZeroesAboutPAndScalesTheRest()
    {
        var y = Functional.Dropout(Tensor.Ones(1000), 0.25, training: true, new Generator(3)).ToArray();
        Assert.That(y.Distinct().OrderBy(v => v), Is.EqualTo(new[] { 0f, 1f / 0.75f }));
        Assert.That(y.Count(v => v == 0) / 1000.0, Is.EqualTo(0.25).Within(0.05));
    }

    [Test]
    public void Dropout_NotTraining_OrPZero_IsTheInputItself()
    {
        var x = Tensor.Ones(10);
        Assert.That(Functional.Dropout(x, 0.5, training: false), Is.SameAs(x));
        Assert.That(Functional.Dropout(x, 0), Is.SameAs(x));
    }

    [Test]
    public void Dropout_POne_GivesZeros() =>
        Assert.That(Functional.Dropout(Tensor.Ones(50), 1).ToArray(), Is.All.EqualTo(0f));

    [Test]
    public void Dropout_DrawsFromTheDefaultGenerator_AsTheModuleDoes()
    {
        // F.dropout and nn.Dropout share one mask kernel and the default generator: after the same seed, the same mask.
        var x = Tensor.Ones(200);
        Generator.ManualSeed(42);
        var functional = Functional.Dropout(x, 0.3).ToArray();
        Generator.ManualSeed(42);
        var module = new Dropout(0.3).Forward(x).ToArray();
        Assert.That(functional, Is.EqualTo(module));
        Assert.That(Functional.Dropout(x, 0.3, generator: new Generator(7)).ToArray(),
            Is.EqualTo(new Dropout(0.3, seed: 7).Forward(x).ToArray()), "a generator of its own is a seeded module's stream");
    }

    [Test]
    public void Dropout_Backward_IsTheMaskTimesG()
    {
        var x = Tensor.Randn([4, 5], 1, DType.Float64).RequireGrad();
        var y = Functional.Dropout(x, 0.5, generator: new Generator(2));
        y.Sum().Backward();
        var mask = y.ToDoubleArray().Zip(x.ToDoubleArray(), (a, b) => a / b).ToArray();   // 0 or 2
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(mask).Within(1e-12));
        GradCheck.Assert(xs => Functional.Dropout(xs[0], 0.5, generator: new Generator(2)), [Leaf(3, 3, 4)], "Dropout");
    }

    [TestCase(-0.1)]
    [TestCase(1.5)]
    [TestCase(double.NaN)]
    public void Dropout_Throws_ForPOutsideZeroOne(double p) =>
        AssertThrows<ArgumentException>(() => Functional.Dropout(Tensor.Ones(3), p), "Dropout", "p must be in [0, 1]");

    // ---- LayerNorm --------------------------------------------------------------------------------------------------

    [Test]
    public void LayerNorm_IsTheOp_AndTheModulesForward()
    {
        var x = Tensor.Randn([2, 3, 4], 4, DType.Float64);
        var w = Tensor.Randn([4], 5, DType.Float64);
        var b = Tensor.Randn([4], 6, DType.Float64);
        var y = Functional.LayerNorm(x, [4], w, b, 1e-6);
        Assert.That(y.ToDoubleArray(), Is.EqualTo(Autodiff.Ops.LayerNorm(x, [4], w, b, 1e-6).ToDoubleArray()));
        // each row of the unscaled form has mean 0 and biased variance 1 (up to eps)
        var plain = Functional.LayerNorm(x, [4], eps: 0).Reshape(6, 4);
        Assert.That(plain.Mean(1).ToDoubleArray(), Is.All.EqualTo(0.0).Within(1e-12));
        Assert.That(plain.Var(1, correction: 0).ToDoubleArray(), Is.All.EqualTo(1.0).Within(1e-12));
        GradCheck.Assert(xs => Functional.LayerNorm(xs[0], [3, 4], xs[1], xs[2]), [Leaf(7, 2, 3, 4), Leaf(8, 3, 4), Leaf(9, 3, 4)], "LayerNorm");
    }

    [Test]
    public void LayerNorm_Throws_NamingTheShapes() =>
        AssertThrows<ArgumentException>(() => Functional.LayerNorm(Tensor.Zeros(2, 3), [4]), "LayerNorm", "[4]", "[2, 3]");

    // ---- OneHot -----------------------------------------------------------------------------------------------------

    [Test]
    public void OneHot_IsTheOp()
    {
        Assert.That(Functional.OneHot([1, 0], 3).ToArray(), Is.EqualTo(new[] { 0f, 1, 0, 1, 0, 0 }));
        Assert.That(Functional.OneHot([2]).Shape.ToArray(), Is.EqualTo(new[] { 1, 3 }));
        AssertThrows<ArgumentOutOfRangeException>(() => Functional.OneHot([3], 3), "OneHot", "index 3");
    }

    // ---- Linear (already there; F.linear) ---------------------------------------------------------------------------

    [Test]
    public void Linear_IsXWTransposedPlusB()
    {
        var x = Tensor.FromArray([1.0, 2], 1, 2);
        var w = Tensor.FromArray([1.0, 0, 0, 1, 1, 1], 3, 2);
        var b = Tensor.FromArray([0.5, 0, -1], 3);
        Assert.That(Functional.Linear(x, w, b).ToDoubleArray(), Is.EqualTo(new[] { 1.5, 2, 2 }));
        Assert.That(Functional.Linear(x, w).ToDoubleArray(), Is.EqualTo((x.MatMul(w.T)).ToDoubleArray()));
    }
}
