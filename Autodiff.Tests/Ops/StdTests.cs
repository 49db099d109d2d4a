using Autodiff;
using static Autodiff.Tests.TestHelpers;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Std (Ops/Std.cs), with PyTorch's <c>correction</c>.</summary>
public class StdTests
{
    // [[1, 2, 3], [4, 5, 7]]: see VarTests
    private static Tensor Small() => Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 7 }, 2, 3);

    [Test]
    public void Forward_IsTheSquareRootOfVar()
    {
        Assert.That(Ops.Std(Small(), 1).ToDoubleArray(), Is.EqualTo(new[] { 1.0, 1.5275252316519468 }).Within(1e-14));   // √1, √(7/3)
        Assert.That(Small().Std().ItemDouble(), Is.EqualTo(2.160246899469287).Within(1e-14));                            // √(14/3)
        Assert.That(Ops.Std(Small(), correction: 0).ItemDouble(), Is.EqualTo(1.9720265943665387).Within(1e-14));         // √(35/9)
        Assert.That(Ops.Std(Small(), 0, keepDim: true).Shape.ToArray(), Is.EqualTo(new[] { 1, 3 }));
    }

    [Test]
    public void Backward_IsDeviationOverNMinusCorrectionTimesStd()
    {
        var x = Small().RequireGrad();
        BackwardOfSum(Ops.Std(x, 1));
        double s1 = Math.Sqrt(7.0 / 3);
        // row 0: (x - 2)/(2·1); row 1: (x - 16/3)/(2·√(7/3))
        Assert.That(x.Grad!.ToDoubleArray(),
            Is.EqualTo(new[] { -0.5, 0, 0.5, -4.0 / 3 / (2 * s1), -1.0 / 3 / (2 * s1), 5.0 / 3 / (2 * s1) }).Within(1e-14));
    }

    [Test]
    public void Backward_OfAConstantRow_IsZero_NotNaN()
    {
        // torch.tensor([[2., 2., 2.], [1., 2., 3.]], requires_grad=True).std(1).sum().backward() -> row 0 grad [0, 0, 0]
        var x = Tensor.FromArray(new[] { 2.0, 2, 2, 1, 2, 3 }, 2, 3).RequireGrad();
        var y = Ops.Std(x, 1);
        Assert.That(y[0], Is.EqualTo(0.0));
        BackwardOfSum(y);
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 0, 0, -0.5, 0, 0.5 }).Within(1e-15));
    }

    [Test]
    public void SecondOrder_OfAConstantRow_IsFinite()
    {
        var x = Tensor.FromArray(new[] { 2.0, 2, 2 }, 3).RequireGrad();
        var g = Autograd.Grad([Ops.Std(x)], [x], createGraph: true)[0]!;
        var h = Autograd.Grad([g.Sum()], [x])[0]!;
        Assert.That(h.ToDoubleArray(), Is.All.EqualTo(0.0));
    }

    [TestCase(new[] { 5 }, null, 1.0, 181)]
    [TestCase(new[] { 2, 3 }, 1, 1.0, 182)]
    [TestCase(new[] { 2, 3, 4 }, 1, 0.0, 183)]
    [TestCase(new[] { 2, 3, 4 }, null, 1.0, 184)]
    public void Backward_MatchesCentralDifferences_Float64(int[] shape, int? dim, double correction, long seed)
    {
        GradCheck.Assert(xs => Ops.Std(xs[0], dim, correction), [Randn(shape, seed)], "Std");
        GradCheck.Assert(xs => Ops.Std(xs[0], dim, correction, keepDim: true), [Randn(shape, seed)], "Std(keepDim)");
    }

    [Test]
    public void SecondOrder_MatchesCentralDifferences_Float64()
    {
        GradCheck.AssertSecondOrder(xs => Ops.Std(xs[0], 1), [Randn([2, 3, 2], 185)], "Std");
        GradCheck.AssertSecondOrder(xs => Ops.Std(xs[0]), [Randn([4], 186)], "Std(all)");
    }

    [Test]
    public void Throws_WhenDimIsOutOfRange_OrCorrectionIsNaN()
    {
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Std(Small(), -3), "Std", "dim -3", "[2, 3]");
        AssertThrows<ArgumentException>(() => Ops.Std(Small(), correction: double.NaN), "Std", "correction");
    }
}
