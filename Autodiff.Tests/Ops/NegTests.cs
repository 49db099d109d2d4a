using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

public class NegTests
{
    [Test]
    public void Forward_NegatesEveryElement()
    {
        // -torch.tensor([1.5, -2., 0.]) -> [-1.5, 2, -0]
        var y = Autodiff.Ops.Neg(F64(1.5, -2, 0));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { -1.5, 2.0, 0.0 }).Within(1e-12));
    }

    [Test]
    public void Forward_UnaryMinusOperatorNegates()
    {
        var y = -F32(3f, -4f);
        Assert.That(y.DType, Is.EqualTo(DType.Float32));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { -3.0, 4.0 }).Within(1e-12));
    }

    [Test]
    public void Backward_GivesMinusOne()
    {
        var x = F64(1.5, -2, 0).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Neg(x));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { -1.0, -1, -1 }).Within(1e-12));
    }

    [TestCase(new[] { 5 }, 41)]
    [TestCase(new[] { 2, 3 }, 42)]
    [TestCase(new[] { 2, 3, 4 }, 43)]
    [TestCase(new int[0], 44)]
    public void Backward_MatchesCentralDifferences_Float64(int[] shape, long seed)
    {
        GradCheck.Assert(xs => Autodiff.Ops.Neg(xs[0]), [Randn(shape, seed)], "Neg");
    }
}
