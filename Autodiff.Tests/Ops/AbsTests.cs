using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

public class AbsTests
{
    [Test]
    public void Forward_TakesAbsoluteValueOfEveryElement()
    {
        // torch.abs(torch.tensor([-2., 0., 3.5])) -> [2, 0, 3.5]
        var y = Autodiff.Ops.Abs(F64(-2, 0, 3.5));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 2.0, 0.0, 3.5 }).Within(1e-12));
    }

    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    public void Backward_GivesSignOfInput_ZeroAtZero(DType dtype)
    {
        // torch: x = tensor([-2., 0., 3.5], requires_grad=True); x.abs().sum().backward() -> x.grad = [-1, 0, 1]
        var x = F64(-2, 0, 3.5).To(dtype).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Abs(x));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { -1.0, 0.0, 1.0 }).Within(1e-12));
    }

    [TestCase(new[] { 5 }, 111)]
    [TestCase(new[] { 2, 3 }, 112)]
    [TestCase(new[] { 2, 3, 4 }, 113)]
    [TestCase(new int[0], 114)]
    public void Backward_MatchesCentralDifferences_Float64(int[] shape, long seed)
    {
        GradCheck.Assert(xs => Autodiff.Ops.Abs(xs[0]), [AwayFrom(0, 0.1, shape, seed)], "Abs");
    }
}
