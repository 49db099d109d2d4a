using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Max (Ops/Max.cs), over all elements and along one dim.</summary>
public class MaxTests
{
    // [[1, 5, 3], [4, 2, 6]]
    internal static Tensor Small() => Tensor.FromArray(new[] { 1.0, 5, 3, 4, 2, 6 }, 2, 3);

    /// <summary>Random float64 leaf whose values are all at least 1e-4 apart, so no perturbation of GradCheck
    /// (eps = 1e-6) can change which element is the extreme.</summary>
    internal static Tensor DistinctLeaf(long seed, params int[] shape)
    {
        var x = Tensor.Randn(shape, seed, DType.Float64);
        var sorted = x.ToDoubleArray().Order().ToArray();
        for (int i = 1; i < sorted.Length; i++)
            Assert.That(sorted[i] - sorted[i - 1], Is.GreaterThan(1e-4), "test input has a near-tie; pick another seed");
        return x.RequireGrad();
    }

    // ---- all elements -------------------------------------------------------------------------------------------

    [Test]
    public void Forward_MaxOfAll()
    {
        Assert.That(Ops.Max(Small()).ItemDouble(), Is.EqualTo(6.0).Within(1e-12));
        Assert.That(Ops.Max(Small()).Shape.ToArray(), Is.Empty);
    }

    [Test]
    public void Backward_MaxOfAll_SendsGradientToTheMaximum()
    {
        var x = Small().RequireGrad();
        x.Max().Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 0, 0, 0, 0, 1 }).Within(1e-12));
    }

    [TestCase(new[] { 3.0, 1, 3, 2 }, new[] { 0.5, 0, 0.5, 0 })]               // torch.tensor([3.,1,3,2]).max().backward()
    [TestCase(new[] { 2.0, 2, 2 }, new[] { 1.0 / 3, 1.0 / 3, 1.0 / 3 })]
    public void Backward_MaxOfAll_TiesShareGradientEvenly(double[] values, double[] expected)
    {
        var x = Tensor.FromArray(values).RequireGrad();
        x.Max().Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void Backward_MaxOfAll_TiesShareGradientEvenly_Float32()
    {
        var x = Tensor.FromArray(new[] { 7f, 7f, -1f, 7f }).RequireGrad();
        x.Max().Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0 / 3, 1.0 / 3, 0, 1.0 / 3 }).Within(1e-6));
    }

    [TestCase(new[] { 2, 3, 4 })]
    [TestCase(new[] { 5 })]
    public void Backward_MaxOfAll_MatchesCentralDifferences_Float64(int[] shape) =>
        GradCheck.Assert(xs => Ops.Max(xs[0]), new[] { DistinctLeaf(1, shape) }, "Max");

    [Test]
    public void Backward_MaxOfAll_ThirdOrder_DifferentiatesTheTieShare() =>
        // d/dx of Max is the constant tie share, so the gradient of the gradient is carried by Exp alone.
        GradCheck.AssertSecondOrder(t => Autograd.Grad([Ops.Exp(Ops.Max(t[0]) * 2)], [t[0]], createGraph: true)[0]!,
            [DistinctLeaf(4, 2, 3)], "Max (third order)");

    [Test]
    public void Throws_WhenTensorIsEmpty() =>
        AssertThrows<ArgumentException>(() => Ops.Max(Tensor.Zeros(new[] { 0 }, DType.Float64)), "Max", "[0]");

    // ---- along a dim --------------------------------------------------------------------------------------------

    [TestCase(0, new[] { 4.0, 5, 6 })]                               // torch.max(x, 0).values
    [TestCase(1, new[] { 5.0, 6 })]
    [TestCase(-1, new[] { 5.0, 6 })]
    [TestCase(-2, new[] { 4.0, 5, 6 })]
    public void Forward_MaxAlongDim(int dim, double[] expected) =>
        Assert.That(Ops.Max(Small(), dim).ToDoubleArray(), Is.EqualTo(expected).Within(1e-12));

    [Test]
    public void Forward_KeepDim_KeepsSizeOneDim()
    {
        var y = Ops.Max(Small(), -1, keepDim: true);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 1 }));
        Assert.That(Ops.Max(Small(), 0).Shape.ToArray(), Is.EqualTo(new[] { 3 }));
    }

    [Test]
    public void Forward_MaxAlongMiddleDim()
    {
        // x[o, k, i] = 12o + 4k + i is largest at k = 2: torch.arange(24.).reshape(2, 3, 4).max(1).values
        var y = Tensor.Arange(24, DType.Float64).Reshape(2, 3, 4).Max(1);
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 8.0, 9, 10, 11, 20, 21, 22, 23 }).Within(1e-12));
    }

    [Test]
    public void Backward_MaxAlongDim_GradientGoesToFirstArgmax()
    {
        var x = Tensor.FromArray(new[] { 2.0, 7, 7, 1, 1, 0 }, 2, 3).RequireGrad();   // row maxima at k = 1 (tie 1, 2) and k = 0 (tie 0, 1)
        x.Max(1).Backward(Tensor.FromArray(new[] { 10.0, 20 }));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 10, 0, 20, 0, 0 }).Within(1e-12));
    }

    [Test]
    public void Backward_MaxAlongDim0_GradientGoesToFirstArgmaxPerColumn()
    {
        var x = Tensor.FromArray(new[] { 5.0, 1, 3, 5, 4, 3 }, 2, 3).RequireGrad();     // column maxima rows 0 (tie), 1, 0 (tie)
        x.Max(0).Sum().Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 0, 1, 0, 1, 0 }).Within(1e-12));
    }

    [TestCase(0, false)]
    [TestCase(1, false)]
    [TestCase(2, false)]
    [TestCase(-1, true)]
    [TestCase(-2, true)]
    [TestCase(-3, false)]
    public void Backward_MaxAlongDim_MatchesCentralDifferences_Float64(int dim, bool keepDim) =>
        GradCheck.Assert(xs => Ops.Max(xs[0], dim, keepDim), new[] { DistinctLeaf(2, 2, 3, 4) }, "Max");

    [TestCase(1, false)]
    [TestCase(0, true)]
    public void Backward_MaxAlongDim_ThirdOrder_ScattersAndGathersTheWinners(int dim, bool keepDim) =>
        // MaxBackward scatters g to the winners; its own backward gathers them again, and that one's scatters.
        GradCheck.AssertSecondOrder(t => Autograd.Grad([Ops.Pow(Ops.Max(t[0], dim, keepDim), 4).Sum()], [t[0]], createGraph: true)[0]!,
            [DistinctLeaf(5, 2, 3, 2)], "Max(dim) (third order)");

    [TestCase(2)]
    [TestCase(-3)]
    public void Throws_WhenDimOutOfRange(int dim) =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Max(Small(), dim), "Max", "[2, 3]");

    [Test]
    public void Throws_WhenReducedDimIsEmpty() =>
        AssertThrows<ArgumentException>(() => Ops.Max(Tensor.Zeros(new[] { 2, 0 }, DType.Float64), 1), "Max", "[2, 0]");
}
