using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Silu (Ops/Silu.cs) and its named backward op, SiluBackward.</summary>
public class SiluTests
{
    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    [Test]
    public void Forward_IsXTimesSigmoidX()
    {
        // Python: [v / (1 + math.exp(-v)) for v in (0, 1, -2, 3)] (torch.nn.functional.silu gives the same)
        var y = Ops.Silu(F64(0, 1, -2, 3));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 0.7310585786300049, -0.2384058440442351, 2.8577223804673 }).Within(1e-15));
    }

    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    public void Forward_SaturatesWithoutNaN(DType dtype)
    {
        // silu(100) = 100, silu(-100) = -100·e^-100 ≈ -0 ; float32 σ(-100) underflows to 0
        var y = Ops.Silu(Tensor.FromArray(new[] { 100.0, -100.0 }).To(dtype)).ToDoubleArray();
        Assert.That(y[0], Is.EqualTo(100.0));
        Assert.That(y[1], Is.EqualTo(0.0).Within(1e-40));
    }

    [Test]
    public void Backward_GivesSigmoidTimesOnePlusXTimesOneMinusSigmoid()
    {
        // σ(x)(1 + x(1 - σ(x))): 0.5 at 0, 0.9276705118714869 at 1, -0.09078424878489547 at -2
        var x = F64(0, 1, -2).RequireGrad();
        BackwardOfSum(Ops.Silu(x));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.5, 0.9276705118714869, -0.09078424878489547 }).Within(1e-15));
    }

    [Test]
    public void Backward_Float32_SimdBodyAndTailAgreeWithFloat64()
    {
        var x64 = Tensor.Randn([37], 141, DType.Float64);
        var x32 = x64.To(DType.Float32).RequireGrad();
        BackwardOfSum(Ops.Silu(x32));
        var expected = x64.ToDoubleArray().Select(v => Sigmoid(v) * (1 + v * (1 - Sigmoid(v)))).ToArray();
        Assert.That(x32.Grad!.ToDoubleArray(), Is.EqualTo(expected).Within(1e-6));
    }

    [TestCase(new[] { 5 }, 142)]
    [TestCase(new[] { 2, 3 }, 143)]
    [TestCase(new int[0], 144)]
    public void Backward_MatchesCentralDifferences_Float64(int[] shape, long seed) =>
        GradCheck.Assert(xs => Ops.Silu(xs[0]), [Randn(shape, seed)], "Silu");

    [Test]
    public void Backward_CreateGraph_RecordsSiluBackward_WhoseGradientIsTheSecondDerivative()
    {
        // Silu''(x) = σ(1-σ)(2 + x(1-2σ)); at 0.5
        var x = F64(0.5).RequireGrad();
        var g = Autograd.Grad([Ops.Silu(x).Sum()], [x], createGraph: true)[0]!;
        Assert.That(g.Creator!.Op, Is.EqualTo("SiluBackward"));
        double s = Sigmoid(0.5);
        Assert.That(Autograd.Grad([g.Sum()], [x])[0]![0], Is.EqualTo(s * (1 - s) * (2 + 0.5 * (1 - 2 * s))).Within(1e-15));
    }

    [Test]
    public void SecondOrder_MatchesCentralDifferences_Float64() =>
        GradCheck.AssertSecondOrder(xs => Ops.Silu(xs[0]), [Randn([2, 3], 145)], "Silu");

    [Test]
    public void ThirdOrder_MatchesCentralDifferences_Float64() =>
        GradCheck.AssertSecondOrder(xs => Autograd.Grad([Ops.Silu(xs[0]).Sum()], [xs[0]], createGraph: true)[0]!,
            [Randn([4], 146)], "Silu (third order)");

    [Test]
    public void MatchesTheComposite_XTimesSigmoid()
    {
        var x = Randn([2, 5], 147);
        Assert.That(Ops.Silu(x).ToDoubleArray(), Is.EqualTo((x * Ops.Sigmoid(x)).ToDoubleArray()).Within(1e-15));
    }
}
