using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

public class ReluTests
{
    [Test]
    public void Forward_ZeroesNegativeElements()
    {
        // torch.relu(torch.tensor([-2., 0., 3.5, -0.1])) -> [0, 0, 3.5, 0]
        var y = Autodiff.Ops.Relu(F64(-2, 0, 3.5, -0.1));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 0.0, 3.5, 0.0 }).Within(1e-12));
    }

    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    public void Forward_KeepsNaN(DType dtype)
    {
        // torch.relu(torch.tensor([float('nan')])) -> [nan]
        var y = Autodiff.Ops.Relu(Tensor.Full([1], double.NaN, dtype));
        Assert.That(y[0], Is.NaN);
    }

    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    public void Backward_PassesGradientOnlyWherePositive_ZeroAtZero(DType dtype)
    {
        // torch: x = tensor([-2., 0., 3.5], requires_grad=True); x.relu().sum().backward() -> x.grad = [0, 0, 1]
        var x = F64(-2, 0, 3.5).To(dtype).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Relu(x));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 0.0, 1.0 }).Within(1e-12));
    }

    [TestCase(new[] { 5 }, 91)]
    [TestCase(new[] { 2, 3 }, 92)]
    [TestCase(new[] { 2, 3, 4 }, 93)]
    [TestCase(new int[0], 94)]
    public void Backward_MatchesCentralDifferences_Float64(int[] shape, long seed)
    {
        GradCheck.Assert(xs => Autodiff.Ops.Relu(xs[0]), [AwayFrom(0, 0.1, shape, seed)], "Relu");
    }

    [Test]
    public void Backward_CreateGraph_RecordsReluBackward_WithZeroSecondDerivative()
    {
        // relu'' = 0 away from 0: the gradient of the gradient reaches x through ReluBackward's mask, not through x itself
        var x = F64(-1, 2).RequireGrad();
        var g = Autograd.Grad([(Autodiff.Ops.Relu(x) * x).Sum()], [x], createGraph: true)[0]!;    // [x > 0]·x + relu(x) = [0, 4]
        Assert.That(g.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 4 }).Within(1e-12));
        var h = Autograd.Grad([g.Sum()], [x])[0]!;                                                   // 2·[x > 0] = [0, 2]
        Assert.That(h.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 2 }).Within(1e-12));
    }

    [Test]
    public void ThirdOrder_MatchesCentralDifferences_Float64() =>
        GradCheck.AssertSecondOrder(xs => Autograd.Grad([Autodiff.Ops.Pow(Autodiff.Ops.Relu(xs[0]), 4).Sum()], [xs[0]], createGraph: true)[0]!,
            [AwayFrom(0, 0.1, [2, 3], 77)], "Relu (third order)");
}
