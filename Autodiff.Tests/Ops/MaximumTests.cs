using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

public class MaximumTests
{
    [Test]
    public void Forward_TakesLargerElement()
    {
        // torch.maximum(torch.tensor([1., 5., -3.]), torch.tensor([2., 4., -3.])) -> [2, 5, -3]
        var y = Autodiff.Ops.Maximum(F64(1, 5, -3), F64(2, 4, -3));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 2.0, 5.0, -3.0 }).Within(1e-12));
    }

    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    public void Forward_PropagatesNaN(DType dtype)
    {
        // torch.maximum(torch.tensor([nan, 1.]), torch.tensor([1., nan])) -> [nan, nan]
        var a = Tensor.FromArray(new[] { double.NaN, 1.0 }).To(dtype);
        var b = Tensor.FromArray(new[] { 1.0, double.NaN }).To(dtype);
        Assert.That(Autodiff.Ops.Maximum(a, b).ToDoubleArray(), Is.All.NaN);
    }

    [Test]
    public void Forward_BroadcastsColumnAgainstRow()
    {
        // torch.maximum([[0], [2]], [[1, 2, 3]]) -> [[1, 2, 3], [2, 2, 3]]
        var y = Autodiff.Ops.Maximum(F64([0, 2], [2, 1]), F64([1, 2, 3], [1, 3]));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 2, 3, 2, 2, 3 }).Within(1e-12));
    }

    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    public void Backward_GivesGradientToLargerInput_SplitsTiesInHalf(DType dtype)
    {
        // torch: a = [1, 5, -3], b = [2, 4, -3]; torch.maximum(a, b).sum().backward() -> a.grad = [0, 1, 0.5], b.grad = [1, 0, 0.5]
        var a = F64(1, 5, -3).To(dtype).RequireGrad();
        var b = F64(2, 4, -3).To(dtype).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Maximum(a, b));
        Assert.That(a.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 1, 0.5 }).Within(1e-12));
        Assert.That(b.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 0, 0.5 }).Within(1e-12));
    }

    [Test]
    public void Backward_SumsTieHalvesOverBroadcastDims()
    {
        // a = [2] broadcast against b = [2, 1, 3]: a ties, wins, loses -> a.grad = 0.5 + 1 + 0; b.grad = [0.5, 0, 1]
        var a = F64(2).RequireGrad();
        var b = F64(2, 1, 3).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Maximum(a, b));
        Assert.That(a.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.5 }).Within(1e-12));
        Assert.That(b.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.5, 0, 1 }).Within(1e-12));
    }

    [Test]
    public void Backward_GivesOneWhenInputIsComparedWithItself()
    {
        // torch.maximum(x, x) = x; both tie halves land on x: 0.5 + 0.5 = 1
        var x = F64(1, -2).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Maximum(x, x));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 1.0 }).Within(1e-12));
    }

    [TestCase(new[] { 2, 3 }, new[] { 2, 3 })]
    [TestCase(new[] { 2, 3 }, new[] { 3 })]
    [TestCase(new[] { 3 }, new[] { 2, 3 })]
    [TestCase(new[] { 2, 1 }, new[] { 1, 3 })]
    [TestCase(new[] { 4, 1, 3 }, new[] { 2, 3 })]
    [TestCase(new int[0], new[] { 2, 3 })]
    [TestCase(new[] { 2, 3 }, new int[0])]
    public void Backward_MatchesCentralDifferences_Float64(int[] aShape, int[] bShape)
    {
        var a = Randn(aShape, seed: 181);   // independent normals: no ties, none within 1e-6
        var b = Randn(bShape, seed: 182);
        GradCheck.Assert(xs => Autodiff.Ops.Maximum(xs[0], xs[1]), [a, b], "Maximum");
    }

    [Test]
    public void Throws_WhenShapesCannotBroadcast()
    {
        var ex = Assert.Throws<ArgumentException>(() => Autodiff.Ops.Maximum(Tensor.Zeros(2, 3), Tensor.Zeros(4)));
        Assert.That(ex!.Message, Does.Contain("Maximum").And.Contain("[2, 3]").And.Contain("[4]"));
    }
}
