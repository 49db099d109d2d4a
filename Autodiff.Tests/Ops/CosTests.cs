using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Cos (Ops/Cos.cs).</summary>
public class CosTests
{
    [Test]
    public void Forward_TakesCosineOfEveryElement()
    {
        // Python: [math.cos(v) for v in (0, 0.5, -1, 2)] (torch.cos gives the same)
        var y = Ops.Cos(F64(0, 0.5, -1, 2));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 0.8775825618903728, 0.5403023058681398, -0.4161468365471424 }).Within(1e-15));
    }

    [Test]
    public void Forward_Float32_AgreesWithFloat64_OnALongVector()
    {
        var x = Tensor.Uniform([37], -10, 10, new Generator(2), DType.Float64);
        Assert.That(Ops.Cos(x.To(DType.Float32)).ToDoubleArray(), Is.EqualTo(Ops.Cos(x).ToDoubleArray()).Within(1e-6));
    }

    [Test]
    public void Backward_GivesMinusSine()
    {
        var x = F64(0, 0.5, -1).RequireGrad();
        BackwardOfSum(Ops.Cos(x));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, -Math.Sin(0.5), -Math.Sin(-1) }).Within(1e-15));
    }

    [TestCase(new[] { 5 }, 111)]
    [TestCase(new[] { 2, 3 }, 112)]
    [TestCase(new int[0], 113)]
    public void Backward_MatchesCentralDifferences_Float64(int[] shape, long seed) =>
        GradCheck.Assert(xs => Ops.Cos(xs[0]), [Randn(shape, seed)], "Cos");

    [Test]
    public void SecondOrder_MatchesCentralDifferences_Float64() =>
        GradCheck.AssertSecondOrder(xs => Ops.Cos(xs[0]), [Randn([2, 3], 114)], "Cos");

    [Test]
    public void SinSquaredPlusCosSquared_IsOne_AndItsGradientZero()
    {
        var x = Randn([6], 115);
        var one = Ops.Sin(x).Square() + Ops.Cos(x).Square();
        Assert.That(one.ToDoubleArray(), Is.All.EqualTo(1.0).Within(1e-15));
        BackwardOfSum(one);
        Assert.That(x.Grad!.ToDoubleArray(), Is.All.EqualTo(0.0).Within(1e-15));
    }

    [Test]
    public void TensorMethod_IsTheOp()
    {
        var x = F64(0.3, -2);
        Assert.That(x.Cos().ToDoubleArray(), Is.EqualTo(Ops.Cos(x).ToDoubleArray()));
    }
}
