using Autodiff;
using static Autodiff.Tests.TestHelpers;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.CumSum (Ops/CumSum.cs) and its named backward op, CumSumBackward.</summary>
public class CumSumTests
{
    // [[1, 2, 3], [4, 5, 6]]
    private static Tensor Small() => Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, 2, 3);

    [TestCase(1, new[] { 1.0, 3, 6, 4, 9, 15 })]       // torch.cumsum(x, 1)
    [TestCase(-1, new[] { 1.0, 3, 6, 4, 9, 15 })]
    [TestCase(0, new[] { 1.0, 2, 3, 5, 7, 9 })]        // torch.cumsum(x, 0)
    public void Forward_IsTheRunningSum(int dim, double[] expected)
    {
        var y = Ops.CumSum(Small(), dim);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(expected));
        Assert.That(Small().To(DType.Float32).CumSum(dim).ToDoubleArray(), Is.EqualTo(expected));
    }

    [Test]
    public void Forward_EmptyDim_GivesAnEmptyTensor() =>
        Assert.That(Ops.CumSum(Tensor.Zeros([2, 0], DType.Float64), 1).Shape.ToArray(), Is.EqualTo(new[] { 2, 0 }));

    [Test]
    public void Backward_IsTheRunningSumFromTheEnd()
    {
        // Σ_k y[k] = Σ_j x[j]·(3 - j) along dim 1; along dim 0 each element appears in 2 - row sums
        var x = Small().RequireGrad();
        BackwardOfSum(Ops.CumSum(x, 1));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 3.0, 2, 1, 3, 2, 1 }));
        var z = Small().RequireGrad();
        BackwardOfSum(Ops.CumSum(z, 0));
        Assert.That(z.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 2.0, 2, 2, 1, 1, 1 }));
    }

    [TestCase(new[] { 5 }, 0, 221)]
    [TestCase(new[] { 2, 3 }, 1, 222)]
    [TestCase(new[] { 2, 3, 4 }, 1, 223)]
    [TestCase(new[] { 2, 3, 4 }, -3, 224)]
    public void Backward_MatchesCentralDifferences_Float64(int[] shape, int dim, long seed) =>
        GradCheck.Assert(xs => Ops.CumSum(xs[0], dim), [Randn(shape, seed)], "CumSum");

    [Test]
    public void SecondOrder_GoesThroughCumSumBackward()
    {
        var x = Randn([2, 3], 225);
        var g = Autograd.Grad([Ops.Square(Ops.CumSum(x, 1)).Sum()], [x], createGraph: true)[0]!;   // CumSumBackward(2·y)
        Assert.That(g.Creator!.Op, Is.EqualTo("CumSumBackward"));
        GradCheck.AssertSecondOrder(xs => Ops.CumSum(xs[0], 1) * Ops.CumSum(xs[0], 1), [Randn([2, 3], 226)], "CumSum");
    }

    [Test]
    public void Throws_WhenDimIsOutOfRange() =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.CumSum(Small(), 2), "CumSum", "dim 2", "[2, 3]");
}
