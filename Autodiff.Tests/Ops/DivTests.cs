using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

public class DivTests
{
    [Test]
    public void Forward_DividesElementwise()
    {
        // torch.tensor([6., 1., -3.]) / torch.tensor([3., 4., 0.5]) -> [2, 0.25, -6]
        var y = Autodiff.Ops.Div(F64(6, 1, -3), F64(3, 4, 0.5));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 2.0, 0.25, -6.0 }).Within(1e-12));
    }

    [Test]
    public void Forward_FollowsIeeeForDivisionByZero()
    {
        // torch.tensor([1., -1., 0.]) / 0 -> [inf, -inf, nan]
        var y = Autodiff.Ops.Div(F64(1, -1, 0), F64(0, 0, 0)).ToDoubleArray();
        Assert.That(y[0], Is.EqualTo(double.PositiveInfinity));
        Assert.That(y[1], Is.EqualTo(double.NegativeInfinity));
        Assert.That(y[2], Is.NaN);
    }

    [Test]
    public void Forward_DividesByConstantOnEitherSide()
    {
        var x = F64(4, -0.5);
        Assert.That((x / 2.0).ToDoubleArray(), Is.EqualTo(new[] { 2.0, -0.25 }).Within(1e-12));   // x / 2
        Assert.That((1.0 / x).ToDoubleArray(), Is.EqualTo(new[] { 0.25, -2.0 }).Within(1e-12));   // 1 / x
    }

    [Test]
    public void Backward_GivesQuotientRule()
    {
        // y = a / b: dy/da = 1/b, dy/db = -a/b². a = [6, 1], b = [3, 4] -> da = [1/3, 1/4], db = [-6/9, -1/16]
        var a = F64(6, 1).RequireGrad();
        var b = F64(3, 4).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Div(a, b));
        Assert.That(a.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0 / 3, 0.25 }).Within(1e-12));
        Assert.That(b.Grad!.ToDoubleArray(), Is.EqualTo(new[] { -6.0 / 9, -1.0 / 16 }).Within(1e-12));
    }

    [TestCaseSource(typeof(ElementwiseTestData), nameof(ElementwiseTestData.BroadcastShapes))]
    public void Backward_MatchesCentralDifferences_Float64(int[] aShape, int[] bShape)
    {
        var a = Randn(aShape, seed: 31);
        var b = AwayFrom(0, 0.5, bShape, seed: 32);   // denominators at least 0.5 from zero
        GradCheck.Assert(xs => Autodiff.Ops.Div(xs[0], xs[1]), [a, b], "Div");
    }

    [Test]
    public void Backward_MatchesCentralDifferences_WithConstant()
    {
        var x = AwayFrom(0, 0.5, [2, 3], seed: 33);
        GradCheck.Assert(xs => xs[0] / 2.0, [x], "Div");
        GradCheck.Assert(xs => 1.0 / xs[0], [x], "Div");
    }

    [Test]
    public void Backward_GivesZeroWhenInputIsDividedByItself()
    {
        // y = x / x = 1, so dy/dx = 1/x - x/x² = 0
        var x = F64(2, -0.5, 3).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Div(x, x));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 0, 0 }).Within(1e-12));
    }

    [Test]
    public void Throws_WhenShapesCannotBroadcast()
    {
        var ex = Assert.Throws<ArgumentException>(() => Autodiff.Ops.Div(Tensor.Zeros(2, 3), Tensor.Zeros(4)));
        Assert.That(ex!.Message, Does.Contain("Div").And.Contain("[2, 3]").And.Contain("[4]"));
    }
}
