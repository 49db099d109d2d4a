using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

public class SoftplusTests
{
    [Test]
    public void Forward_TakesLogOfOnePlusExp()
    {
        // F.softplus(torch.tensor([0., 1., -1., -30.], dtype=torch.float64)): ln(1 + eˣ)
        var y = Autodiff.Ops.Softplus(F64(0, 1, -1, -30));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[]
        {
            0.6931471805599453, 1.3132616875182228, 0.31326168751822286, 9.357622968839737e-14,
        }).Within(1e-12));
        Assert.That(y[3], Is.EqualTo(9.357622968839737e-14).Within(1e-10).Percent);   // no cancellation for very negative x
    }

    [Test]
    public void Forward_DividesByBeta()
    {
        // F.softplus(torch.tensor([1.], dtype=torch.float64), beta=2) -> ln(1 + e²)/2
        Assert.That(Autodiff.Ops.Softplus(F64(1), beta: 2)[0], Is.EqualTo(1.0634640055214863).Within(1e-12));
    }

    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    public void Forward_ReturnsInputAboveThreshold(DType dtype)
    {
        // F.softplus(torch.tensor([25.])) -> [25.] exactly (βx = 25 > 20);
        // beta=2: x = 15 gives βx = 30 > 20 -> 15; threshold=5: x = 6 -> 6
        Assert.That(Autodiff.Ops.Softplus(Tensor.Full([1], 25, dtype))[0], Is.EqualTo(25.0));
        Assert.That(Autodiff.Ops.Softplus(Tensor.Full([1], 15, dtype), beta: 2)[0], Is.EqualTo(15.0));
        Assert.That(Autodiff.Ops.Softplus(Tensor.Full([1], 6, dtype), threshold: 5)[0], Is.EqualTo(6.0));
    }

    [Test]
    public void Forward_UsesFormulaAtThresholdItself()
    {
        // βx = 20 is not above the threshold: ln(1 + e²⁰) = 20 + ln(1 + e⁻²⁰) = 20.000000002061153
        Assert.That(Autodiff.Ops.Softplus(F64(20))[0], Is.EqualTo(20.000000002061153).Within(1e-12));
    }

    [Test]
    public void Backward_GivesSigmoidOfBetaX_AndOneAboveThreshold()
    {
        // d/dx ln(1 + e^(βx))/β = σ(βx): x = 0 -> 0.5; x = 1, β = 1 -> 0.7310585786300049; x = 25 -> 1
        var x = F64(0, 1, 25).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Softplus(x));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.5, 0.7310585786300049, 1.0 }).Within(1e-12));
    }

    [Test]
    public void Backward_StaysFiniteForVeryNegativeInput_Float32()
    {
        // σ(-100) underflows to 0 in float32 rather than producing NaN from e^100 = inf
        var x = Tensor.FromArray(new[] { -100f, 100f }).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Softplus(x));
        var g = x.Grad!.ToArray();
        Assert.That(g[0], Is.InRange(0f, 1e-38f));
        Assert.That(g[1], Is.EqualTo(1f));
    }

    [TestCase(new[] { 5 }, 1.0, 161)]
    [TestCase(new[] { 2, 3 }, 2.0, 162)]
    [TestCase(new[] { 2, 3, 4 }, 1.0, 163)]
    [TestCase(new int[0], 0.5, 164)]
    public void Backward_MatchesCentralDifferences_Float64(int[] shape, double beta, long seed)
    {
        GradCheck.Assert(xs => Autodiff.Ops.Softplus(xs[0], beta), [Randn(shape, seed)], "Softplus");
    }

    [Test]
    public void Backward_MatchesCentralDifferences_OnBothSidesOfThreshold_Float64()
    {
        // threshold 1 with β = 1: elements at least 0.1 from x = 1 take the formula below, the identity above
        var x = AwayFrom(1, 0.1, [2, 4], 165);
        GradCheck.Assert(xs => Autodiff.Ops.Softplus(xs[0], 1, threshold: 1), [x], "Softplus");
    }

    [Test]
    public void Throws_WhenBetaIsZero()
    {
        var ex = Assert.Throws<ArgumentException>(() => Autodiff.Ops.Softplus(F64(1), beta: 0));
        Assert.That(ex!.Message, Does.Contain("Softplus").And.Contain("beta"));
    }

    [Test]
    public void Throws_WhenBetaIsNaN()
    {
        var ex = Assert.Throws<ArgumentException>(() => Autodiff.Ops.Softplus(F64(1), beta: double.NaN));
        Assert.That(ex!.Message, Does.Contain("Softplus").And.Contain("beta"));
    }

    [Test]
    public void Throws_WhenThresholdIsNaN()
    {
        var ex = Assert.Throws<ArgumentException>(() => Autodiff.Ops.Softplus(F64(1), threshold: double.NaN));
        Assert.That(ex!.Message, Does.Contain("Softplus").And.Contain("threshold"));
    }
}
