using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

public class SubTests
{
    [Test]
    public void Forward_SubtractsElementwise()
    {
        // torch.tensor([1., 2., -3.]) - torch.tensor([10., 0.5, -3.]) -> [-9, 1.5, 0]
        var y = Autodiff.Ops.Sub(F64(1, 2, -3), F64(10, 0.5, -3));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { -9.0, 1.5, 0.0 }).Within(1e-12));
    }

    [Test]
    public void Forward_BroadcastsInBothDirections()
    {
        // [[1, 2, 3], [4, 5, 6]] - [1, 1, 1] -> [[0, 1, 2], [3, 4, 5]]; and [1, 1, 1] - that matrix is its negation
        var m = F64([1, 2, 3, 4, 5, 6], [2, 3]);
        var r = F64(1, 1, 1);
        Assert.That(Autodiff.Ops.Sub(m, r).ToDoubleArray(), Is.EqualTo(new[] { 0.0, 1, 2, 3, 4, 5 }).Within(1e-12));
        Assert.That(Autodiff.Ops.Sub(r, m).ToDoubleArray(), Is.EqualTo(new[] { 0.0, -1, -2, -3, -4, -5 }).Within(1e-12));
    }

    [Test]
    public void Forward_SubtractsConstantOnEitherSide()
    {
        var x = F64(1, -2);
        Assert.That((x - 2.0).ToDoubleArray(), Is.EqualTo(new[] { -1.0, -4.0 }).Within(1e-12));   // x - 2
        Assert.That((2.0 - x).ToDoubleArray(), Is.EqualTo(new[] { 1.0, 4.0 }).Within(1e-12));     // 2 - x
    }

    [TestCaseSource(typeof(ElementwiseTestData), nameof(ElementwiseTestData.BroadcastShapes))]
    public void Backward_MatchesCentralDifferences_Float64(int[] aShape, int[] bShape)
    {
        var a = Randn(aShape, seed: 11);
        var b = Randn(bShape, seed: 12);
        GradCheck.Assert(xs => Autodiff.Ops.Sub(xs[0], xs[1]), [a, b], "Sub");
    }

    [Test]
    public void Backward_MatchesCentralDifferences_WithConstant()
    {
        var x = Randn([2, 3], seed: 13);
        GradCheck.Assert(xs => xs[0] - 2.0, [x], "Sub");
        GradCheck.Assert(xs => 2.0 - xs[0], [x], "Sub");
    }

    [Test]
    public void Backward_GivesMinusOneToSubtrahendSummedOverBroadcast()
    {
        // y = a - b with a [2, 3], b [3]: d(sum y)/da = 1, d(sum y)/db = -2 per element (two rows)
        var a = Randn([2, 3], seed: 14);
        var b = Randn([3], seed: 15);
        BackwardOfSum(Autodiff.Ops.Sub(a, b));
        Assert.That(a.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 1, 1, 1, 1, 1 }).Within(1e-12));
        Assert.That(b.Grad!.ToDoubleArray(), Is.EqualTo(new[] { -2.0, -2, -2 }).Within(1e-12));
    }

    [Test]
    public void Backward_GivesZeroWhenInputIsSubtractedFromItself()
    {
        // y = x - x = 0, so dy/dx = 1 - 1 = 0
        var x = F64(1, -2, 3).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Sub(x, x));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 0, 0 }).Within(1e-12));
    }

    [Test]
    public void Throws_WhenShapesCannotBroadcast()
    {
        var ex = Assert.Throws<ArgumentException>(() => Autodiff.Ops.Sub(Tensor.Zeros(2, 3), Tensor.Zeros(4)));
        Assert.That(ex!.Message, Does.Contain("Sub").And.Contain("[2, 3]").And.Contain("[4]"));
    }
}
