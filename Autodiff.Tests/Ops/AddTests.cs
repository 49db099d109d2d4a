using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

public class AddTests
{
    [Test]
    public void Forward_AddsElementwise()
    {
        // torch.tensor([1., 2., -3.]) + torch.tensor([10., 0.5, 3.]) -> [11, 2.5, 0]
        var y = Autodiff.Ops.Add(F64(1, 2, -3), F64(10, 0.5, 3));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 11.0, 2.5, 0.0 }).Within(1e-12));
    }

    [Test]
    public void Forward_AddsElementwise_Float32()
    {
        var y = Autodiff.Ops.Add(F32(1f, 2f, -3f), F32(10f, 0.5f, 3f));
        Assert.That(y.DType, Is.EqualTo(DType.Float32));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 11.0, 2.5, 0.0 }).Within(1e-12));
    }

    [Test]
    public void Forward_BroadcastsRowOverMatrix()
    {
        // [[1, 2, 3], [4, 5, 6]] + [10, 20, 30] -> [[11, 22, 33], [14, 25, 36]]
        var a = F64([1, 2, 3, 4, 5, 6], [2, 3]);
        var y = Autodiff.Ops.Add(a, F64(10, 20, 30));
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 11.0, 22, 33, 14, 25, 36 }).Within(1e-12));
    }

    [Test]
    public void Forward_BroadcastsColumnAgainstRow()
    {
        // [[1], [2]] + [[10, 20, 30]] -> [[11, 21, 31], [12, 22, 32]]
        var y = Autodiff.Ops.Add(F64([1, 2], [2, 1]), F64([10, 20, 30], [1, 3]));
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 11.0, 21, 31, 12, 22, 32 }).Within(1e-12));
    }

    [Test]
    public void Forward_AddsConstantOnEitherSide()
    {
        var x = F64(1, -2);
        Assert.That((x + 2.0).ToDoubleArray(), Is.EqualTo(new[] { 3.0, 0.0 }).Within(1e-12));
        Assert.That((2.0 + x).ToDoubleArray(), Is.EqualTo(new[] { 3.0, 0.0 }).Within(1e-12));
    }

    [TestCaseSource(typeof(ElementwiseTestData), nameof(ElementwiseTestData.BroadcastShapes))]
    public void Backward_MatchesCentralDifferences_Float64(int[] aShape, int[] bShape)
    {
        var a = Randn(aShape, seed: 1);
        var b = Randn(bShape, seed: 2);
        GradCheck.Assert(xs => Autodiff.Ops.Add(xs[0], xs[1]), [a, b], "Add");
    }

    [Test]
    public void Backward_MatchesCentralDifferences_WithConstant()
    {
        var x = Randn([2, 3], seed: 3);
        GradCheck.Assert(xs => xs[0] + 2.0, [x], "Add");
        GradCheck.Assert(xs => 2.0 + xs[0], [x], "Add");
    }

    [Test]
    public void Backward_SumsGradientOverBroadcastDims()
    {
        // y = a + b with a [2, 3], b [3]: d(sum y)/db = [2, 2, 2] (one per row), d/da = ones
        var a = Randn([2, 3], seed: 4);
        var b = Randn([3], seed: 5);
        BackwardOfSum(Autodiff.Ops.Add(a, b));
        Assert.That(a.Grad!.Shape.ToArray(), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(a.Grad.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 1, 1, 1, 1, 1 }).Within(1e-12));
        Assert.That(b.Grad!.Shape.ToArray(), Is.EqualTo(new[] { 3 }));
        Assert.That(b.Grad.ToDoubleArray(), Is.EqualTo(new[] { 2.0, 2, 2 }).Within(1e-12));
    }

    [Test]
    public void Backward_AccumulatesWhenInputIsUsedTwice()
    {
        // y = x + x = 2x, so dy/dx = 2
        var x = F64(1, -2, 3).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Add(x, x));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 2.0, 2, 2 }).Within(1e-12));
    }

    [Test]
    public void Backward_AccumulatesAcrossTwoBackwardPasses()
    {
        // grads add up until reset (PyTorch semantics): two passes of d(a + b)/da = 1 give 2
        var a = F64(1, 2).RequireGrad();
        var b = F64(3, 4);
        BackwardOfSum(Autodiff.Ops.Add(a, b));
        BackwardOfSum(Autodiff.Ops.Add(a, b));
        Assert.That(a.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 2.0, 2 }).Within(1e-12));
        Assert.That(b.Grad, Is.Null);
    }

    [Test]
    public void Throws_WhenShapesCannotBroadcast()
    {
        var ex = Assert.Throws<ArgumentException>(() => Autodiff.Ops.Add(Tensor.Zeros(2, 3), Tensor.Zeros(4)));
        Assert.That(ex!.Message, Does.Contain("Add").And.Contain("[2, 3]").And.Contain("[4]"));
    }
}
