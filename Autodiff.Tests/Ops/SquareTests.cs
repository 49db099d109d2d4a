using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Square (Ops/Square.cs).</summary>
public class SquareTests
{
    [Test]
    public void Forward_SquaresEveryElement()
    {
        var y = Ops.Square(F64(0, 1.5, -3, 1e200));                      // 0, 2.25, 9, and 1e400 overflows to +inf
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 2.25, 9, double.PositiveInfinity }));
        Assert.That(Ops.Square(F32(-2f, 0.5f)).ToDoubleArray(), Is.EqualTo(new[] { 4.0, 0.25 }));
    }

    [Test]
    public void Backward_GivesTwoX()
    {
        var x = F64(0, 1.5, -3).RequireGrad();
        BackwardOfSum(Ops.Square(x));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 3, -6 }));
    }

    [TestCase(new[] { 5 }, 121)]
    [TestCase(new[] { 2, 3 }, 122)]
    [TestCase(new int[0], 123)]
    public void Backward_MatchesCentralDifferences_Float64(int[] shape, long seed) =>
        GradCheck.Assert(xs => Ops.Square(xs[0]), [Randn(shape, seed)], "Square");

    [Test]
    public void SecondOrder_IsTwo()
    {
        var x = Randn([3], 124);
        var g = Autograd.Grad([Ops.Square(x).Sum()], [x], createGraph: true)[0]!;
        var h = Autograd.Grad([g.Sum()], [x])[0]!;
        Assert.That(h.ToDoubleArray(), Is.All.EqualTo(2.0));
        GradCheck.AssertSecondOrder(xs => Ops.Square(xs[0]), [Randn([2, 3], 125)], "Square");
    }

    [Test]
    public void TensorMethod_IsTheOp() => Assert.That(F64(3).Square().ToDoubleArray(), Is.EqualTo(new[] { 9.0 }));
}
