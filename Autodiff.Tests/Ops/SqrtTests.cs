using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

public class SqrtTests
{
    [Test]
    public void Forward_TakesSquareRootOfEveryElement()
    {
        // torch.sqrt(torch.tensor([4., 0.25, 2., 0.], dtype=torch.float64)) -> [2, 0.5, 1.4142135623730951, 0]
        var y = Autodiff.Ops.Sqrt(F64(4, 0.25, 2, 0));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 2.0, 0.5, 1.4142135623730951, 0.0 }).Within(1e-12));
    }

    [Test]
    public void Forward_GivesNaNForNegativeInput()
    {
        Assert.That(Autodiff.Ops.Sqrt(F64(-1))[0], Is.NaN);   // torch.sqrt(torch.tensor([-1.])) -> [nan]
    }

    [Test]
    public void Backward_GivesOneOverTwoRoot()
    {
        // d/dx √x = 1/(2√x): x = [4, 0.25] -> [0.25, 1]
        var x = F64(4, 0.25).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Sqrt(x));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.25, 1.0 }).Within(1e-12));
    }

    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    public void Backward_GivesPositiveInfinityAtZero(DType dtype)
    {
        // torch: x = tensor([0.], requires_grad=True); x.sqrt().sum().backward() -> x.grad = [inf]
        var x = Tensor.Zeros([1], dtype).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Sqrt(x));
        Assert.That(x.Grad![0], Is.EqualTo(double.PositiveInfinity));
    }

    [TestCase(new[] { 5 }, 101)]
    [TestCase(new[] { 2, 3 }, 102)]
    [TestCase(new[] { 2, 3, 4 }, 103)]
    [TestCase(new int[0], 104)]
    public void Backward_MatchesCentralDifferences_Float64(int[] shape, long seed)
    {
        GradCheck.Assert(xs => Autodiff.Ops.Sqrt(xs[0]), [Uniform(shape, 0.2, 3.0, seed)], "Sqrt");
    }
}
