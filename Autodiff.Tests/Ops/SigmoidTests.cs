using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

public class SigmoidTests
{
    [Test]
    public void Forward_TakesLogisticOfEveryElement()
    {
        // torch.sigmoid(torch.tensor([0., 1., -2.], dtype=torch.float64)) -> [0.5, 0.7310585786300049, 0.11920292202211755]
        var y = Autodiff.Ops.Sigmoid(F64(0, 1, -2));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 0.5, 0.7310585786300049, 0.11920292202211755 }).Within(1e-12));
    }

    [TestCase(1)]
    [TestCase(16)]   // long enough for the SIMD path
    public void Forward_StaysFiniteAtLargeInputs_Float64(int repeat)
    {
        // torch.sigmoid(torch.tensor([100., -100.], dtype=torch.float64)) -> [1, 3.7200759760208356e-44]
        var data = Enumerable.Repeat(new[] { 100.0, -100.0 }, repeat).SelectMany(v => v).ToArray();
        var x = Tensor.FromArray(data).RequireGrad();
        var y = Autodiff.Ops.Sigmoid(x);
        BackwardOfSum(y);
        var values = y.ToDoubleArray();
        var grads = x.Grad!.ToDoubleArray();
        for (int i = 0; i < values.Length; i += 2)
        {
            Assert.That(values[i], Is.EqualTo(1.0));
            Assert.That(values[i + 1], Is.EqualTo(3.7200759760208356e-44).Within(1e-9).Percent);
            Assert.That(grads[i], Is.EqualTo(0.0));                                           // 1·(1 - 1)
            Assert.That(grads[i + 1], Is.EqualTo(3.7200759760208356e-44).Within(1e-9).Percent); // y(1 - y) ≈ y
        }
    }

    [TestCase(1)]
    [TestCase(16)]
    public void Forward_StaysFiniteAtLargeInputs_Float32(int repeat)
    {
        // float32: sigmoid(100) = 1, sigmoid(-100) is 0 or a denormal (~3.7e-44); never NaN, never outside [0, 1]
        var data = Enumerable.Repeat(new[] { 100f, -100f }, repeat).SelectMany(v => v).ToArray();
        var x = Tensor.FromArray(data).RequireGrad();
        var y = Autodiff.Ops.Sigmoid(x);
        BackwardOfSum(y);
        var values = y.ToArray();
        var grads = x.Grad!.ToArray();
        for (int i = 0; i < values.Length; i += 2)
        {
            Assert.That(values[i], Is.EqualTo(1f));
            Assert.That(values[i + 1], Is.InRange(0f, 1e-38f));
            Assert.That(grads[i], Is.EqualTo(0f));
            Assert.That(grads[i + 1], Is.InRange(0f, 1e-38f));
        }
    }

    [Test]
    public void Backward_GivesSigmoidTimesOneMinusSigmoid()
    {
        // σ'(0) = 0.25; σ'(1) = 0.7310585786300049 · 0.2689414213699951
        var x = F64(0, 1).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Sigmoid(x));
        Assert.That(x.Grad!.ToDoubleArray(),
            Is.EqualTo(new[] { 0.25, 0.7310585786300049 * (1 - 0.7310585786300049) }).Within(1e-12));
    }

    [TestCase(new[] { 5 }, 81)]
    [TestCase(new[] { 2, 3 }, 82)]
    [TestCase(new[] { 2, 3, 4 }, 83)]
    [TestCase(new int[0], 84)]
    public void Backward_MatchesCentralDifferences_Float64(int[] shape, long seed)
    {
        GradCheck.Assert(xs => Autodiff.Ops.Sigmoid(xs[0]), [Randn(shape, seed)], "Sigmoid");
    }

    [Test]
    public void Backward_CreateGraph_RecordsSigmoidBackward_WhoseGradientIsTheSecondDerivative()
    {
        // d²/dx² σ(x) = σ(1 - σ)(1 - 2σ): at 1, σ = 0.7310585786300049
        var x = F64(1).RequireGrad();
        var g = Autograd.Grad([Autodiff.Ops.Sigmoid(x).Sum()], [x], createGraph: true)[0]!;
        Assert.That(g.Creator!.Op, Is.EqualTo("SigmoidBackward"));
        var h = Autograd.Grad([g.Sum()], [x])[0]!;
        double s = 0.7310585786300049;
        Assert.That(h[0], Is.EqualTo(s * (1 - s) * (1 - 2 * s)).Within(1e-12));
    }

    [Test]
    public void ThirdOrder_MatchesCentralDifferences_Float64() =>
        GradCheck.AssertSecondOrder(xs => Autograd.Grad([Autodiff.Ops.Sigmoid(xs[0]).Sum()], [xs[0]], createGraph: true)[0]!,
            [Randn([2, 3], 76)], "Sigmoid (third order)");
}
