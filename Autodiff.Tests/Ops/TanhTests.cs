using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

public class TanhTests
{
    [Test]
    public void Forward_TakesTanhOfEveryElement()
    {
        // torch.tanh(torch.tensor([0., 0.5, -1., 2.], dtype=torch.float64))
        var y = Autodiff.Ops.Tanh(F64(0, 0.5, -1, 2));
        Assert.That(y.ToDoubleArray(),
            Is.EqualTo(new[] { 0.0, 0.46211715726000974, -0.7615941559557649, 0.9640275800758169 }).Within(1e-12));
    }

    [TestCase(DType.Float32, 1)]
    [TestCase(DType.Float64, 1)]
    [TestCase(DType.Float32, 16)]   // long enough for the SIMD path
    [TestCase(DType.Float64, 16)]
    public void Forward_SaturatesToPlusMinusOneAtLargeInputs(DType dtype, int repeat)
    {
        // torch.tanh(torch.tensor([100., -100.])) -> [1, -1]; the gradient 1 - y² is 0, not NaN
        var data = Enumerable.Repeat(new[] { 100.0, -100.0 }, repeat).SelectMany(v => v).ToArray();
        var x = Tensor.FromArray(data).To(dtype).RequireGrad();
        var y = Autodiff.Ops.Tanh(x);
        BackwardOfSum(y);
        var values = y.ToDoubleArray();
        for (int i = 0; i < values.Length; i += 2)
        {
            Assert.That(values[i], Is.EqualTo(1.0));
            Assert.That(values[i + 1], Is.EqualTo(-1.0));
        }
        Assert.That(x.Grad!.ToDoubleArray(), Is.All.EqualTo(0.0));
    }

    [Test]
    public void Backward_GivesOneMinusTanhSquared()
    {
        // d/dx tanh x = 1 - tanh² x: at 0 -> 1, at 0.5 -> 1 - 0.46211715726000974²
        var x = F64(0, 0.5).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Tanh(x));
        double t = 0.46211715726000974;
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 1 - t * t }).Within(1e-12));
    }

    [TestCase(new[] { 5 }, 71)]
    [TestCase(new[] { 2, 3 }, 72)]
    [TestCase(new[] { 2, 3, 4 }, 73)]
    [TestCase(new int[0], 74)]
    public void Backward_MatchesCentralDifferences_Float64(int[] shape, long seed)
    {
        GradCheck.Assert(xs => Autodiff.Ops.Tanh(xs[0]), [Randn(shape, seed)], "Tanh");
    }

    [Test]
    public void Backward_CreateGraph_RecordsTanhBackward_WhoseGradientIsTheSecondDerivative()
    {
        // d²/dx² tanh x = -2·tanh x·(1 - tanh² x): at 0.5 -> -2·0.46211715726000974·(1 - 0.46211715726000974²)
        var x = F64(0.5).RequireGrad();
        var g = Autograd.Grad([Autodiff.Ops.Tanh(x).Sum()], [x], createGraph: true)[0]!;
        Assert.That(g.Creator!.Op, Is.EqualTo("TanhBackward"));
        var h = Autograd.Grad([g.Sum()], [x])[0]!;
        double t = 0.46211715726000974;
        Assert.That(h[0], Is.EqualTo(-2 * t * (1 - t * t)).Within(1e-12));
    }

    [Test]
    public void ThirdOrder_MatchesCentralDifferences_Float64() =>
        GradCheck.AssertSecondOrder(xs => Autograd.Grad([Autodiff.Ops.Tanh(xs[0]).Sum()], [xs[0]], createGraph: true)[0]!,
            [Randn([2, 3], 75)], "Tanh (third order)");
}
