using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Sin (Ops/Sin.cs).</summary>
public class SinTests
{
    [Test]
    public void Forward_TakesSineOfEveryElement()
    {
        // Python: [math.sin(v) for v in (0, 0.5, -1, 2)] (torch.sin gives the same)
        var y = Ops.Sin(F64(0, 0.5, -1, 2));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 0.479425538604203, -0.8414709848078965, 0.9092974268256817 }).Within(1e-15));
    }

    [Test]
    public void Forward_Float32_AgreesWithFloat64_OnALongVector()
    {
        var x = Tensor.Uniform([37], -10, 10, new Generator(1), DType.Float64);   // 37: the SIMD body and a tail
        var y32 = Ops.Sin(x.To(DType.Float32)).ToDoubleArray();
        var y64 = Ops.Sin(x).ToDoubleArray();
        Assert.That(y32, Is.EqualTo(y64).Within(1e-6));
    }

    [Test]
    public void Backward_GivesCosine()
    {
        var x = F64(0, 0.5, -1).RequireGrad();
        BackwardOfSum(Ops.Sin(x));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, Math.Cos(0.5), Math.Cos(-1) }).Within(1e-15));
    }

    [TestCase(new[] { 5 }, 101)]
    [TestCase(new[] { 2, 3 }, 102)]
    [TestCase(new int[0], 103)]
    public void Backward_MatchesCentralDifferences_Float64(int[] shape, long seed) =>
        GradCheck.Assert(xs => Ops.Sin(xs[0]), [Randn(shape, seed)], "Sin");

    [Test]
    public void SecondOrder_MatchesCentralDifferences_Float64() =>
        GradCheck.AssertSecondOrder(xs => Ops.Sin(xs[0]), [Randn([2, 3], 104)], "Sin");

    [Test]
    public void ThirdOrder_MatchesCentralDifferences_Float64() =>
        GradCheck.AssertSecondOrder(xs => Autograd.Grad([Ops.Sin(xs[0]).Sum()], [xs[0]], createGraph: true)[0]!,
            [Randn([4], 105)], "Sin (third order)");

    [Test]
    public void TensorMethod_IsTheOp()
    {
        var x = F64(0.3, -2);
        Assert.That(x.Sin().ToDoubleArray(), Is.EqualTo(Ops.Sin(x).ToDoubleArray()));
        Assert.That(Ops.Sin(x).Creator, Is.Null, "a constant input records nothing");
    }
}
