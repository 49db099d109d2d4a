using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

public class ClampTests
{
    [Test]
    public void Forward_LimitsToBounds()
    {
        // torch.clamp(torch.tensor([-2., -1., 0.3, 1., 2.]), -1, 1) -> [-1, -1, 0.3, 1, 1]
        var y = Autodiff.Ops.Clamp(F64(-2, -1, 0.3, 1, 2), -1, 1);
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { -1.0, -1, 0.3, 1, 1 }).Within(1e-12));
    }

    [Test]
    public void Forward_WithOnlyOneBound()
    {
        // torch.clamp(x, min=0) -> [0, 0, 2];  torch.clamp(x, max=0) -> [-3, 0, 0]
        var x = F64(-3, 0, 2);
        Assert.That(Autodiff.Ops.Clamp(x, min: 0).ToDoubleArray(), Is.EqualTo(new[] { 0.0, 0, 2 }).Within(1e-12));
        Assert.That(Autodiff.Ops.Clamp(x, max: 0).ToDoubleArray(), Is.EqualTo(new[] { -3.0, 0, 0 }).Within(1e-12));
    }

    [Test]
    public void Forward_WithEqualBoundsGivesConstant()
    {
        // torch.clamp(x, 0.5, 0.5) -> all 0.5
        Assert.That(Autodiff.Ops.Clamp(F64(-3, 0.5, 2), 0.5, 0.5).ToDoubleArray(), Is.EqualTo(new[] { 0.5, 0.5, 0.5 }).Within(1e-12));
    }

    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    public void Forward_KeepsNaN_AndGivesItZeroGradient(DType dtype)
    {
        // torch.clamp(torch.tensor([nan]), -1, 1) -> [nan]; its gradient mask (min <= x <= max) is false -> 0
        var x = Tensor.Full([1], double.NaN, dtype).RequireGrad();
        var y = Autodiff.Ops.Clamp(x, -1, 1);
        BackwardOfSum(y);
        Assert.That(y[0], Is.NaN);
        Assert.That(x.Grad![0], Is.EqualTo(0.0));
    }

    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    public void Backward_PassesGradientInsideAndAtBounds(DType dtype)
    {
        // torch: x = tensor([-2., -1., 0.3, 1., 2.], requires_grad=True); x.clamp(-1, 1).sum().backward() -> [0, 1, 1, 1, 0]
        var x = F64(-2, -1, 0.3, 1, 2).To(dtype).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Clamp(x, -1, 1));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 1, 1, 1, 0 }).Within(1e-12));
    }

    [TestCase(new[] { 5 }, 171)]
    [TestCase(new[] { 2, 3 }, 172)]
    [TestCase(new[] { 2, 3, 4 }, 173)]
    [TestCase(new int[0], 174)]
    public void Backward_MatchesCentralDifferences_Float64(int[] shape, long seed)
    {
        // bounds ±0.5; inputs moved at least 0.1 away from both so the check never straddles a kink
        var values = Tensor.Randn(shape, seed: seed, DType.Float64).ToDoubleArray();
        for (int i = 0; i < values.Length; i++)
            foreach (double bound in new[] { -0.5, 0.5 })
                if (Math.Abs(values[i] - bound) < 0.1) values[i] = bound + (values[i] >= bound ? 0.1 : -0.1);
        var x = F64(values, shape).RequireGrad();
        GradCheck.Assert(xs => Autodiff.Ops.Clamp(xs[0], -0.5, 0.5), [x], "Clamp");
    }

    [Test]
    public void Throws_WhenMinExceedsMax()
    {
        var ex = Assert.Throws<ArgumentException>(() => Autodiff.Ops.Clamp(F64(1, 2), 1, -1));
        Assert.That(ex!.Message, Does.Contain("Clamp").And.Contain("min"));
    }

    [TestCase(double.NaN, 1.0, "min")]
    [TestCase(-1.0, double.NaN, "max")]
    public void Throws_WhenBoundIsNaN(double min, double max, string bound)
    {
        var ex = Assert.Throws<ArgumentException>(() => Autodiff.Ops.Clamp(F64(1, 2), min, max));
        Assert.That(ex!.Message, Does.Contain("Clamp").And.Contain(bound));
    }
}
