using Autodiff;
using static Autodiff.Tests.TestHelpers;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Var (Ops/Var.cs), with PyTorch's <c>correction</c>.</summary>
public class VarTests
{
    // [[1, 2, 3], [4, 5, 7]]: row means 2 and 16/3, squared deviations 2 and 14/3; all six: mean 11/3, squared deviations 70/3
    private static Tensor Small() => Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 7 }, 2, 3);

    [TestCase(1, new[] { 1.0, 7.0 / 3 })]            // 2/(3-1), (14/3)/(3-1)
    [TestCase(0, new[] { 2.0 / 3, 14.0 / 9 })]       // 2/3, (14/3)/3
    [TestCase(2, new[] { 2.0, 14.0 / 3 })]           // 2/(3-2)
    [TestCase(0.5, new[] { 0.8, 28.0 / 15 })]        // 2/2.5
    public void Forward_AlongDim_DividesByNMinusCorrection(double correction, double[] expected)
    {
        var y = Ops.Var(Small(), 1, correction);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(expected).Within(1e-14));
    }

    [Test]
    public void Forward_AlongDim0_AndKeepDim()
    {
        // columns [1, 4], [2, 5], [3, 7]: variances 4.5, 4.5, 8
        var y = Small().Var(0, keepDim: true);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 1, 3 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 4.5, 4.5, 8 }).Within(1e-14));
    }

    [Test]
    public void Forward_AllElements_IsAScalar_OrAllOnesWithKeepDim()
    {
        Assert.That(Ops.Var(Small()).Shape.ToArray(), Is.Empty);
        Assert.That(Ops.Var(Small()).ItemDouble(), Is.EqualTo(70.0 / 15).Within(1e-14));                // (70/3)/5
        Assert.That(Ops.Var(Small(), correction: 0).ItemDouble(), Is.EqualTo(70.0 / 18).Within(1e-14)); // (70/3)/6
        var kept = Ops.Var(Small(), keepDim: true);
        Assert.That(kept.Shape.ToArray(), Is.EqualTo(new[] { 1, 1 }));
    }

    [Test]
    public void Forward_TwoPasses_KeepALargeMeanFromCancelling()
    {
        // var(1e8 + [1, 2, 3]) = 1 exactly; a one-pass E[x²] - E[x]² would lose it in float64
        var y = Ops.Var(F64(1e8 + 1, 1e8 + 2, 1e8 + 3));
        Assert.That(y.ItemDouble(), Is.EqualTo(1.0));
    }

    [Test]
    public void Forward_Float32_StridedAndContiguous_Agree()
    {
        var x = Tensor.Randn([3, 37, 2], 171, DType.Float64);
        var expected = Ops.Var(x, 1).ToDoubleArray();
        Assert.That(Ops.Var(x.To(DType.Float32), 1).ToDoubleArray(), Is.EqualTo(expected).Within(1e-5));
        var contiguous = Ops.Var(x.Permute(0, 2, 1).To(DType.Float32), 2).ToDoubleArray();      // inner = 1
        Assert.That(contiguous, Is.EqualTo(expected).Within(1e-5));
    }

    [Test]
    public void Forward_NotMoreElementsThanCorrection_DividesByZero_AsPyTorch()
    {
        // torch.var(torch.tensor([5.])) = nan (0/0); torch.var(torch.tensor([1., 2.]), correction=3) = inf (0.5/0)
        Assert.That(Ops.Var(F64(5)).ItemDouble(), Is.NaN);
        Assert.That(Ops.Var(F64(1, 2), correction: 3).ItemDouble(), Is.EqualTo(double.PositiveInfinity));
    }

    [Test]
    public void Backward_IsTwoTimesDeviationOverNMinusCorrection()
    {
        var x = Small().RequireGrad();
        BackwardOfSum(Ops.Var(x, 1));
        // row 0: 2·(x - 2)/2 = [-1, 0, 1]; row 1: 2·(x - 16/3)/2 = [-4/3, -1/3, 5/3]
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { -1.0, 0, 1, -4.0 / 3, -1.0 / 3, 5.0 / 3 }).Within(1e-14));
    }

    [TestCase(new[] { 5 }, null, 0.0, 172)]
    [TestCase(new[] { 2, 3 }, 1, 1.0, 173)]
    [TestCase(new[] { 2, 3, 4 }, 1, 1.0, 174)]
    [TestCase(new[] { 2, 3, 4 }, -1, 0.0, 175)]
    [TestCase(new[] { 2, 3, 4 }, null, 1.0, 176)]
    public void Backward_MatchesCentralDifferences_Float64(int[] shape, int? dim, double correction, long seed)
    {
        GradCheck.Assert(xs => Ops.Var(xs[0], dim, correction), [Randn(shape, seed)], "Var");
        GradCheck.Assert(xs => Ops.Var(xs[0], dim, correction, keepDim: true), [Randn(shape, seed)], "Var(keepDim)");
    }

    [Test]
    public void SecondOrder_MatchesCentralDifferences_Float64()
    {
        GradCheck.AssertSecondOrder(xs => Ops.Var(xs[0], 1), [Randn([2, 3, 2], 177)], "Var");
        GradCheck.AssertSecondOrder(xs => Ops.Var(xs[0]), [Randn([4], 178)], "Var(all)");
    }

    [Test]
    public void Throws_WhenDimIsOutOfRange_OrCorrectionIsNaN()
    {
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Var(Small(), 2), "Var", "dim 2", "[2, 3]");
        AssertThrows<ArgumentException>(() => Ops.Var(Small(), 1, double.NaN), "Var", "correction");
    }
}
