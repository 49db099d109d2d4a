using Autodiff;
using Autodiff.NN;

namespace Autodiff.Tests.Core;

/// <summary>Extreme inputs behave as PyTorch's do (values from torch 2.x in the comments).</summary>
public class NumericalRobustnessTests
{
    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    public void CrossEntropy_WithLogitsOfTenThousand_IsFiniteAndExact(DType dtype)
    {
        // F.cross_entropy(torch.tensor([[1e4, -1e4, 0.]]), torch.tensor([1])) = 20000; grad = [1, -1, 0]
        var values = new[] { 1e4, -1e4, 0 };
        var x = (dtype == DType.Float32 ? Tensor.FromArray(values.Select(v => (float)v).ToArray(), 1, 3) : Tensor.FromArray(values, 1, 3)).RequireGrad();
        var loss = Functional.CrossEntropy(x, [1]);
        loss.Backward();
        Assert.That(loss.ItemDouble(), Is.EqualTo(20000).Within(1e-3));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, -1.0, 0.0 }).Within(1e-6));
        Assert.That(x.LogSoftmax(1).ToDoubleArray(), Is.EqualTo(new[] { 0.0, -20000.0, -10000.0 }).Within(1e-3));
    }

    [Test]
    public void SigmoidAndTanh_AtPlusMinusHundred_SaturateWithZeroGradient()
    {
        var x = Tensor.FromArray([-100f, 100f]).RequireGrad();
        var s = x.Sigmoid();
        Assert.That(s.ToArray()[1], Is.EqualTo(1f));
        Assert.That(s.ToArray()[0], Is.EqualTo(0f).Within(1e-40f));          // torch: 3.7835e-44
        s.Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.All.EqualTo(0f).Within(1e-40f));
        var y = Tensor.FromArray([-100f, 100f]).RequireGrad();
        var t = y.Tanh();
        Assert.That(t.ToArray(), Is.EqualTo(new[] { -1f, 1f }));
        t.Sum().Backward();
        Assert.That(y.Grad!.ToArray(), Is.EqualTo(new[] { 0f, 0f }));
    }

    [Test]
    public void Exp_Overflows_ToInfinity_WithInfiniteGradient()
    {
        var x = Tensor.FromArray([100f]).RequireGrad();                   // e^100 > float.MaxValue
        var y = x.Exp();
        Assert.That(float.IsPositiveInfinity(y.Item()), Is.True);
        y.Sum().Backward();
        Assert.That(float.IsPositiveInfinity(x.Grad!.Item()), Is.True);
    }

    [Test]
    public void LogOfZero_IsMinusInfinity_WithInfiniteGradient_AndSqrtOfZeroLikewise()
    {
        var x = Tensor.FromArray([0.0]).RequireGrad();
        var y = x.Log();
        Assert.That(double.IsNegativeInfinity(y.ItemDouble()), Is.True);   // torch.log(0) = -inf
        y.Sum().Backward();
        Assert.That(double.IsPositiveInfinity(x.Grad!.ItemDouble()), Is.True);   // 1/0
        var z = Tensor.FromArray([0.0]).RequireGrad();
        z.Sqrt().Sum().Backward();
        Assert.That(double.IsPositiveInfinity(z.Grad!.ItemDouble()), Is.True);   // torch: inf
    }
}
