using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Mean (Ops/Mean.cs), over all elements and along one dim: Sum times 1/n.</summary>
public class MeanTests
{
    // [[1, 2, 3], [4, 5, 6]]
    private static Tensor Small() => Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, 2, 3);

    [Test]
    public void Forward_MeanOfAll_DividesByCount()
    {
        var y = Ops.Mean(Small());                                   // 21 / 6
        Assert.That(y.Shape.ToArray(), Is.Empty);
        Assert.That(y.ItemDouble(), Is.EqualTo(3.5).Within(1e-12));
    }

    [TestCase(0, false, new[] { 2.5, 3.5, 4.5 }, new[] { 3 })]      // [(1+4)/2, (2+5)/2, (3+6)/2]
    [TestCase(1, false, new[] { 2.0, 5 }, new[] { 2 })]             // [6/3, 15/3]
    [TestCase(-1, true, new[] { 2.0, 5 }, new[] { 2, 1 })]
    [TestCase(-2, true, new[] { 2.5, 3.5, 4.5 }, new[] { 1, 3 })]
    public void Forward_MeanAlongDim(int dim, bool keepDim, double[] expected, int[] shape)
    {
        var y = Ops.Mean(Small(), dim, keepDim);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(shape));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void Backward_MeanOfAll_SendsOneOverNToEveryElement()
    {
        var x = Small().RequireGrad();
        x.Mean().Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(Enumerable.Repeat(1.0 / 6, 6)).Within(1e-12));
    }

    [Test]
    public void Backward_MeanAlongDim_DividesGradientByDimSize()
    {
        var x = Small().RequireGrad();
        x.Mean(1).Backward(Tensor.FromArray(new[] { 3.0, 6 }));       // dx[i, j] = g[i] / 3
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 1, 1, 2, 2, 2 }).Within(1e-12));
    }

    [TestCase(new[] { 2, 3, 4 })]
    [TestCase(new[] { 7 })]
    public void Backward_MeanOfAll_MatchesCentralDifferences_Float64(int[] shape) =>
        GradCheck.Assert(xs => Ops.Mean(xs[0]), new[] { Leaf(4, shape) }, "Mean");

    [TestCase(0, false)]
    [TestCase(1, true)]
    [TestCase(-1, false)]
    [TestCase(-2, true)]
    public void Backward_MeanAlongDim_MatchesCentralDifferences_Float64(int dim, bool keepDim) =>
        GradCheck.Assert(xs => Ops.Mean(xs[0], dim, keepDim), new[] { Leaf(5, 2, 3, 4) }, "Mean");

    [TestCase(2)]
    [TestCase(-3)]
    public void Throws_WhenMeanDimOutOfRange(int dim) =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Mean(Small(), dim), "Mean", "[2, 3]", $"dim {dim}");
}
