using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Rsqrt (Ops/Rsqrt.cs).</summary>
public class RsqrtTests
{
    [Test]
    public void Forward_TakesReciprocalSquareRoot()
    {
        // 1/√0.25 = 2, 1/√1 = 1, 1/√4 = 0.5, 1/√2 = 0.7071067811865475; torch.rsqrt(0) = inf, torch.rsqrt(-1) = nan
        var y = Ops.Rsqrt(F64(0.25, 1, 4, 2, 0, -1));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 2.0, 1, 0.5, 0.7071067811865475, double.PositiveInfinity, double.NaN }));
    }

    [Test]
    public void Forward_IsCorrectlyRounded_InBothDTypes_AtEveryPosition()
    {
        // 1/√x rounded once from the exact root: the SIMD body and the tail give the same bits as the scalar formula
        var x = Tensor.Uniform([37], 0.01, 100, new Generator(3), DType.Float64);
        var expected64 = x.ToDoubleArray().Select(v => 1 / Math.Sqrt(v)).ToArray();
        Assert.That(Ops.Rsqrt(x).ToDoubleArray(), Is.EqualTo(expected64));
        var x32 = x.To(DType.Float32);
        var expected32 = x32.ToArray().Select(v => (double)(1f / MathF.Sqrt(v))).ToArray();
        Assert.That(Ops.Rsqrt(x32).ToDoubleArray(), Is.EqualTo(expected32));
    }

    [Test]
    public void Backward_GivesMinusHalfYCubed()
    {
        // d/dx x^(-1/2) = -½ x^(-3/2): at 4 -> -1/16, at 0.25 -> -4
        var x = F64(4, 0.25).RequireGrad();
        BackwardOfSum(Ops.Rsqrt(x));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { -0.0625, -4 }).Within(1e-15));
    }

    [TestCase(new[] { 5 }, 131)]
    [TestCase(new[] { 2, 3 }, 132)]
    public void Backward_MatchesCentralDifferences_Float64(int[] shape, long seed) =>
        GradCheck.Assert(xs => Ops.Rsqrt(xs[0]), [Uniform(shape, 0.5, 3, seed)], "Rsqrt");

    [Test]
    public void SecondOrder_MatchesCentralDifferences_Float64() =>
        GradCheck.AssertSecondOrder(xs => Ops.Rsqrt(xs[0]), [Uniform([2, 3], 0.5, 3, 133)], "Rsqrt");

    [Test]
    public void TensorMethod_IsTheOp() => Assert.That(F64(4).Rsqrt().ToDoubleArray(), Is.EqualTo(new[] { 0.5 }));
}
