using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Min (Ops/Min.cs), over all elements and along one dim: Max's shared body with min.</summary>
public class MinTests
{
    // [[1, 5, 3], [4, 2, 6]]
    private static Tensor Small() => MaxTests.Small();

    // ---- all elements -------------------------------------------------------------------------------------------

    [Test]
    public void Forward_MinOfAll()
    {
        Assert.That(Ops.Min(Small()).ItemDouble(), Is.EqualTo(1.0).Within(1e-12));
        Assert.That(Ops.Min(Small()).Shape.ToArray(), Is.Empty);
    }

    [Test]
    public void Backward_MinOfAll_TiesShareGradientEvenly()
    {
        var x = Tensor.FromArray(new[] { 1.0, 4, 1, 1 }).RequireGrad();
        (x.Min() * Tensor.Scalar(6, DType.Float64)).Backward();      // g = 6 shared by three ties
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 2.0, 0, 2, 2 }).Within(1e-12));
    }

    [TestCase(new[] { 2, 3, 4 })]
    [TestCase(new[] { 5 })]
    public void Backward_MinOfAll_MatchesCentralDifferences_Float64(int[] shape) =>
        GradCheck.Assert(xs => Ops.Min(xs[0]), new[] { MaxTests.DistinctLeaf(1, shape) }, "Min");

    [Test]
    public void Backward_MinOfAll_CreateGraph_MatchesCentralDifferences() =>
        GradCheck.AssertSecondOrder(t => Ops.Exp(Ops.Min(t[0])), [MaxTests.DistinctLeaf(7, 2, 3)], "Min");

    [Test]
    public void Throws_WhenTensorIsEmpty() =>
        AssertThrows<ArgumentException>(() => Ops.Min(Tensor.Zeros(new[] { 0 }, DType.Float64)), "Min", "[0]");

    // ---- along a dim --------------------------------------------------------------------------------------------

    [TestCase(0, new[] { 1.0, 2, 3 })]                               // torch.min(x, 0).values
    [TestCase(1, new[] { 1.0, 2 })]
    [TestCase(-1, new[] { 1.0, 2 })]
    [TestCase(-2, new[] { 1.0, 2, 3 })]
    public void Forward_MinAlongDim(int dim, double[] expected) =>
        Assert.That(Ops.Min(Small(), dim).ToDoubleArray(), Is.EqualTo(expected).Within(1e-12));

    [Test]
    public void Forward_KeepDim_KeepsSizeOneDim() =>
        Assert.That(Ops.Min(Small(), 0, keepDim: true).Shape.ToArray(), Is.EqualTo(new[] { 1, 3 }));

    [Test]
    public void Backward_MinAlongDim_GradientGoesToFirstArgmin()
    {
        var x = Tensor.FromArray(new[] { 2.0, 2, 1, 0, 3, 0 }, 2, 3).RequireGrad();
        x.Min(-1).Backward(Tensor.FromArray(new[] { 10.0, 20 }));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 0, 10, 20, 0, 0 }).Within(1e-12));
    }

    [TestCase(0, false)]
    [TestCase(1, true)]
    [TestCase(-1, false)]
    public void Backward_MinAlongDim_MatchesCentralDifferences_Float64(int dim, bool keepDim) =>
        GradCheck.Assert(xs => Ops.Min(xs[0], dim, keepDim), new[] { MaxTests.DistinctLeaf(3, 2, 3, 4) }, "Min");

    [Test]
    public void Backward_MinAlongDim_CreateGraph_MatchesCentralDifferences() =>
        GradCheck.AssertSecondOrder(t => Ops.Tanh(Ops.Min(t[0], 1)) * 2, [MaxTests.DistinctLeaf(6, 2, 3)], "Min(dim)");

    [TestCase(2)]
    [TestCase(-3)]
    public void Throws_WhenDimOutOfRange(int dim) =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Min(Small(), dim), "Min", "[2, 3]");
}
