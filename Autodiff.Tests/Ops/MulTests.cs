using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

public class MulTests
{
    [Test]
    public void Forward_MultipliesElementwise()
    {
        // torch.tensor([1., 2., -3.]) * torch.tensor([10., 0.5, 3.]) -> [10, 1, -9]
        var y = Autodiff.Ops.Mul(F64(1, 2, -3), F64(10, 0.5, 3));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 10.0, 1.0, -9.0 }).Within(1e-12));
    }

    [Test]
    public void Forward_MultipliesElementwise_Float32()
    {
        var y = Autodiff.Ops.Mul(F32(1f, 2f, -3f), F32(10f, 0.5f, 3f));
        Assert.That(y.DType, Is.EqualTo(DType.Float32));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 10.0, 1.0, -9.0 }).Within(1e-12));
    }

    [Test]
    public void Forward_BroadcastsColumnAgainstRow()
    {
        // [[1], [2]] * [[10, 20, 30]] -> outer product [[10, 20, 30], [20, 40, 60]]
        var y = Autodiff.Ops.Mul(F64([1, 2], [2, 1]), F64([10, 20, 30], [1, 3]));
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 10.0, 20, 30, 20, 40, 60 }).Within(1e-12));
    }

    [Test]
    public void Forward_MultipliesByConstantOnEitherSide()
    {
        var x = F64(1.5, -2);
        Assert.That((x * 2.0).ToDoubleArray(), Is.EqualTo(new[] { 3.0, -4.0 }).Within(1e-12));
        Assert.That((2.0 * x).ToDoubleArray(), Is.EqualTo(new[] { 3.0, -4.0 }).Within(1e-12));
    }

    [TestCaseSource(typeof(ElementwiseTestData), nameof(ElementwiseTestData.BroadcastShapes))]
    public void Backward_MatchesCentralDifferences_Float64(int[] aShape, int[] bShape)
    {
        var a = Randn(aShape, seed: 21);
        var b = Randn(bShape, seed: 22);
        GradCheck.Assert(xs => Autodiff.Ops.Mul(xs[0], xs[1]), [a, b], "Mul");
    }

    [Test]
    public void Backward_MatchesCentralDifferences_WithConstant()
    {
        var x = Randn([2, 3], seed: 23);
        GradCheck.Assert(xs => xs[0] * 2.0, [x], "Mul");
        GradCheck.Assert(xs => 2.0 * xs[0], [x], "Mul");
    }

    [Test]
    public void Backward_GivesEachInputTheOther()
    {
        // y = a * b: dy/da = b, dy/db = a
        var a = F64(1, 2, -3).RequireGrad();
        var b = F64(10, 0.5, 3).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Mul(a, b));
        Assert.That(a.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 10.0, 0.5, 3.0 }).Within(1e-12));
        Assert.That(b.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 2.0, -3.0 }).Within(1e-12));
    }

    [Test]
    public void Backward_SumsGradientOverBroadcastDims()
    {
        // y = a * b with a [2, 3], b [3]: d(sum y)/db[j] = a[0, j] + a[1, j]
        var a = F64([1, 2, 3, 4, 5, 6], [2, 3]).RequireGrad();
        var b = F64(10, 20, 30).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Mul(a, b));
        Assert.That(b.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 5.0, 7.0, 9.0 }).Within(1e-12));
        Assert.That(a.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 10.0, 20, 30, 10, 20, 30 }).Within(1e-12));
    }

    [Test]
    public void Backward_AccumulatesWhenInputIsUsedTwice()
    {
        // y = x * x, so dy/dx = 2x
        var x = F64(1, -2, 3.5).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Mul(x, x));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 2.0, -4.0, 7.0 }).Within(1e-12));
    }

    [Test]
    public void Backward_MatchesCentralDifferences_WhenInputIsUsedTwice()
    {
        var x = Randn([2, 3], seed: 24);
        GradCheck.Assert(xs => Autodiff.Ops.Mul(xs[0], xs[0]), [x], "Mul");
    }

    [Test]
    public void Throws_WhenShapesDiffer()
    {
        var ex = Assert.Throws<ArgumentException>(() => Autodiff.Ops.Mul(Tensor.Zeros(2, 3), Tensor.Zeros(3, 2)));
        Assert.That(ex!.Message, Does.Contain("Mul").And.Contain("[2, 3]").And.Contain("[3, 2]"));
    }

    [Test]
    public void Throws_WhenShapesCannotBroadcast()
    {
        var ex = Assert.Throws<ArgumentException>(() => Autodiff.Ops.Mul(Tensor.Zeros(2, 3), Tensor.Zeros(4)));
        Assert.That(ex!.Message, Does.Contain("Mul").And.Contain("[2, 3]").And.Contain("[4]"));
    }
}
