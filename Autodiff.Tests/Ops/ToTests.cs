using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

public class ToTests
{
    [Test]
    public void Forward_WidensFloat32ToFloat64Exactly()
    {
        // torch.tensor([0.1, -2.5]).to(torch.float64) -> [0.10000000149011612, -2.5]
        var y = Autodiff.Ops.To(F32(0.1f, -2.5f), DType.Float64);
        Assert.That(y.DType, Is.EqualTo(DType.Float64));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 0.10000000149011612, -2.5 }).Within(1e-17));
    }

    [Test]
    public void Forward_NarrowsFloat64ToNearestFloat32()
    {
        // 1 + 2⁻²⁴ + 2⁻⁴⁰ is just above halfway between 1 and the next float 1 + 2⁻²³, so it rounds up (truncation would give 1);
        // 1e39 is beyond float range -> inf, as torch.tensor([1e39], dtype=torch.float64).float()
        double aboveHalfway = 1 + Math.Pow(2, -24) + Math.Pow(2, -40);
        var y = Autodiff.Ops.To(F64(0.1, aboveHalfway, 1e39, -1e39), DType.Float32);
        Assert.That(y.DType, Is.EqualTo(DType.Float32));
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 0.1f, 1.00000012f, float.PositiveInfinity, float.NegativeInfinity }));
    }

    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    public void Forward_CopiesWhenDTypeIsUnchanged(DType dtype)
    {
        var x = Tensor.FromArray(new[] { 1.0, 2.0 }).To(dtype).RequireGrad();
        var y = Autodiff.Ops.To(x, dtype);
        Assert.That(y, Is.Not.SameAs(x));
        Assert.That(y.DType, Is.EqualTo(dtype));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 2.0 }));
        Assert.That(y.Creator, Is.Not.Null);
        Assert.That(y.Creator!.Op, Is.EqualTo("To"));
    }

    [Test]
    public void Backward_ConvertsGradientBackToFloat32()
    {
        // x float32, y = x.to(float64); (y * y).sum().backward() -> x.grad = 2x in float32
        var x = F32(1.5f, -2f).RequireGrad();
        var y = Autodiff.Ops.To(x, DType.Float64);
        BackwardOfSum(Autodiff.Ops.Mul(y, y));
        Assert.That(x.Grad!.DType, Is.EqualTo(DType.Float32));
        Assert.That(x.Grad.ToDoubleArray(), Is.EqualTo(new[] { 3.0, -4.0 }).Within(1e-12));
    }

    [Test]
    public void Backward_ConvertsGradientBackToFloat64()
    {
        // x float64, y = 3 · x.to(float32); y.sum().backward() -> x.grad = 3 in float64
        var x = F64(0.1, 7).RequireGrad();
        var y = Autodiff.Ops.Mul(Autodiff.Ops.To(x, DType.Float32), Tensor.Scalar(3));
        BackwardOfSum(y);
        Assert.That(x.Grad!.DType, Is.EqualTo(DType.Float64));
        Assert.That(x.Grad.ToDoubleArray(), Is.EqualTo(new[] { 3.0, 3.0 }).Within(1e-12));
    }

    [TestCase(new[] { 5 }, 211)]
    [TestCase(new[] { 2, 3 }, 212)]
    [TestCase(new int[0], 213)]
    public void Backward_MatchesCentralDifferences_Float64(int[] shape, long seed)
    {
        // Float64 -> Float64 only: a round trip through float32 would drown central differences in rounding
        GradCheck.Assert(xs => Autodiff.Ops.Mul(Autodiff.Ops.To(xs[0], DType.Float64), xs[0]), [Randn(shape, seed)], "To");
    }
}
