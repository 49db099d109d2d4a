using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

public class LogTests
{
    [Test]
    public void Forward_TakesNaturalLogOfEveryElement()
    {
        // torch.log(torch.tensor([1., e, 2., 0.5, 10.], dtype=torch.float64)) -> [0, 1, ln 2, -ln 2, 2.302585092994046]
        var y = Autodiff.Ops.Log(F64(1, Math.E, 2, 0.5, 10));
        Assert.That(y.ToDoubleArray(),
            Is.EqualTo(new[] { 0.0, 1.0, 0.6931471805599453, -0.6931471805599453, 2.302585092994046 }).Within(1e-12));
    }

    [TestCase(DType.Float32, 1)]
    [TestCase(DType.Float64, 1)]
    [TestCase(DType.Float32, 16)]   // long enough for the SIMD path
    [TestCase(DType.Float64, 16)]
    public void Forward_GivesMinusInfinityAtZeroAndNaNBelow(DType dtype, int repeat)
    {
        // torch.log(torch.tensor([0., -1.])) -> [-inf, nan]
        var data = Enumerable.Repeat(new[] { 0.0, -1.0 }, repeat).SelectMany(v => v).ToArray();
        var x = Tensor.FromArray(data).To(dtype);
        var y = Autodiff.Ops.Log(x).ToDoubleArray();
        for (int i = 0; i < y.Length; i += 2)
        {
            Assert.That(y[i], Is.EqualTo(double.NegativeInfinity));
            Assert.That(y[i + 1], Is.NaN);
        }
    }

    [Test]
    public void Backward_GivesReciprocal()
    {
        // d/dx ln x = 1/x: x = [2, 0.5, 4] -> [0.5, 2, 0.25]
        var x = F64(2, 0.5, 4).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Log(x));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.5, 2.0, 0.25 }).Within(1e-12));
    }

    [Test]
    public void Backward_GivesInfinityAtZero()
    {
        // torch: x = tensor([0.], requires_grad=True); x.log().sum().backward() -> x.grad = [inf]
        var x = F64(0.0).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Log(x));
        Assert.That(x.Grad![0], Is.EqualTo(double.PositiveInfinity));
    }

    [TestCase(new[] { 5 }, 61)]
    [TestCase(new[] { 2, 3 }, 62)]
    [TestCase(new[] { 2, 3, 4 }, 63)]
    [TestCase(new int[0], 64)]
    public void Backward_MatchesCentralDifferences_Float64(int[] shape, long seed)
    {
        GradCheck.Assert(xs => Autodiff.Ops.Log(xs[0]), [Uniform(shape, 0.2, 3.0, seed)], "Log");
    }
}
