using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

public class WhereTests
{
    [Test]
    public void Forward_PicksFromFirstWhereConditionIsNonZero()
    {
        // torch.where(torch.tensor([True, False, True, True]), [1, 2, 3, 4], [10, 20, 30, 40]) -> [1, 20, 3, 4]
        // (condition -0.5 counts as true: any non-zero)
        var y = Autodiff.Ops.Where(F64(1, 0, 1, -0.5), F64(1, 2, 3, 4), F64(10, 20, 30, 40));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 20, 3, 4 }).Within(1e-12));
    }

    [Test]
    public void Forward_BroadcastsAllThree()
    {
        // condition [[1], [0]], a [1, 2, 3], b scalar 9 -> [[1, 2, 3], [9, 9, 9]]
        var y = Autodiff.Ops.Where(F64([1, 0], [2, 1]), F64(1, 2, 3), Tensor.Scalar(9, DType.Float64));
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 2, 3, 9, 9, 9 }).Within(1e-12));
    }

    [Test]
    public void Forward_Float32()
    {
        var y = Autodiff.Ops.Where(F32(0f, 1f), F32(1f, 2f), F32(10f, 20f));
        Assert.That(y.DType, Is.EqualTo(DType.Float32));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 10.0, 2.0 }).Within(1e-12));
    }

    [Test]
    public void Backward_RoutesGradientByCondition_NoneToCondition()
    {
        // torch: where(c, a, b).sum().backward() -> a.grad = c, b.grad = 1 - c
        var c = F64(1, 0, 1).RequireGrad();
        var a = F64(1, 2, 3).RequireGrad();
        var b = F64(10, 20, 30).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Where(c, a, b));
        Assert.That(a.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 0, 1 }).Within(1e-12));
        Assert.That(b.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 1, 0 }).Within(1e-12));
        Assert.That(c.Grad, Is.Null);
    }

    [Test]
    public void Backward_SumsOverBroadcastDims()
    {
        // condition [[1, 0, 1], [0, 0, 1]], a [3], b []: a.grad = column counts of 1s = [1, 0, 2]; b.grad = number of 0s = 3
        var c = F64([1, 0, 1, 0, 0, 1], [2, 3]);
        var a = F64(1, 2, 3).RequireGrad();
        var b = Tensor.Scalar(5, DType.Float64).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Where(c, a, b));
        Assert.That(a.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 0, 2 }).Within(1e-12));
        Assert.That(b.Grad!.ItemDouble(), Is.EqualTo(3.0).Within(1e-12));
    }

    [Test]
    public void Backward_GivesOneWhenBothBranchesAreTheSameInput()
    {
        var x = F64(1, 2).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Where(F64(1, 0), x, x));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 1.0 }).Within(1e-12));
    }

    [TestCase(new[] { 2, 3 }, new[] { 2, 3 }, new[] { 2, 3 }, 201)]
    [TestCase(new[] { 2, 1 }, new[] { 3 }, new[] { 2, 3 }, 202)]
    [TestCase(new[] { 2, 3 }, new int[0], new[] { 2, 3 }, 203)]
    [TestCase(new[] { 3 }, new[] { 4, 1, 3 }, new[] { 2, 3 }, 204)]
    [TestCase(new[] { 4, 1, 1 }, new[] { 2, 1 }, new[] { 1, 3 }, 205)]
    public void Backward_MatchesCentralDifferences_Float64(int[] conditionShape, int[] aShape, int[] bShape, long seed)
    {
        // a mixed 0/1 condition held constant
        var bits = Tensor.Rand(conditionShape, seed: seed, DType.Float64).ToDoubleArray().Select(u => u < 0.5 ? 0.0 : 1.0).ToArray();
        var c = F64(bits, conditionShape);
        var a = Randn(aShape, seed + 1000);
        var b = Randn(bShape, seed + 2000);
        GradCheck.Assert(xs => Autodiff.Ops.Where(c, xs[0], xs[1]), [a, b], "Where");
    }

    [Test]
    public void Throws_WhenBranchShapesCannotBroadcast()
    {
        var ex = Assert.Throws<ArgumentException>(() => Autodiff.Ops.Where(Tensor.Ones(2, 3), Tensor.Zeros(2, 3), Tensor.Zeros(4)));
        Assert.That(ex!.Message, Does.Contain("Where").And.Contain("[2, 3]").And.Contain("[4]"));
    }

    [Test]
    public void Throws_WhenConditionCannotBroadcast()
    {
        var ex = Assert.Throws<ArgumentException>(() => Autodiff.Ops.Where(Tensor.Ones(4), Tensor.Zeros(2, 3), Tensor.Zeros(2, 3)));
        Assert.That(ex!.Message, Does.Contain("Where").And.Contain("[4]").And.Contain("[2, 3]"));
    }

    [Test]
    public void Where_TakesABoolCondition_AndKeepsTheGradients()
    {
        var a = Tensor.FromArray(new[] { 1.0, -2, 3 }).RequireGrad();
        var b = Tensor.FromArray(new[] { 10.0, 20, 30 }).RequireGrad();
        var y = global::Autodiff.Ops.Where(a > 0, a, b);
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 20, 3 }));
        y.Sum().Backward();
        Assert.That(a.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 0, 1 }));
        Assert.That(b.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 1, 0 }));
        GradCheck.Assert(xs => global::Autodiff.Ops.Where(xs[0] > 0, xs[0], xs[1]),
            [Tensor.FromArray(new[] { 0.7, -0.4, 1.3 }).RequireGrad(), Tensor.FromArray(new[] { 0.2, 0.5, -0.9 }).RequireGrad()]);
    }

    [Test]
    public void Where_Broadcasts_ABoolCondition()
    {
        var cond = Tensor.FromArray(new[] { true, false }, 2, 1);
        var y = global::Autodiff.Ops.Where(cond, Tensor.Ones(2, 3), Tensor.Zeros(3));
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 1f, 1, 1, 0, 0, 0 }));
        var ex = Assert.Throws<ArgumentException>(() => global::Autodiff.Ops.Where(Tensor.FromArray(new[] { true, false, true }), Tensor.Ones(2), Tensor.Ones(2)))!;
        Assert.That(ex.Message, Does.StartWith("Where:").And.Contain("[3]"));
    }
}
