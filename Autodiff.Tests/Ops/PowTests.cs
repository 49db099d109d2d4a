using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

public class PowTests
{
    [Test]
    public void Forward_RaisesToIntegerPower_IncludingNegativeBases()
    {
        // torch.tensor([-2., 3., 0.5, 0.]) ** 2 -> [4, 9, 0.25, 0];  ** 3 -> [-8, 27, 0.125, 0]
        var x = F64(-2, 3, 0.5, 0);
        Assert.That(Autodiff.Ops.Pow(x, 2).ToDoubleArray(), Is.EqualTo(new[] { 4.0, 9, 0.25, 0 }).Within(1e-12));
        Assert.That(Autodiff.Ops.Pow(x, 3).ToDoubleArray(), Is.EqualTo(new[] { -8.0, 27, 0.125, 0 }).Within(1e-12));
    }

    [Test]
    public void Forward_RaisesToIntegerPower_IncludingNegativeBases_Float32Simd()
    {
        // 16 elements so the vectorized path runs: (-2)² = 4, (-2)³ = -8
        var x = Tensor.Full([16], -2.0);
        Assert.That(Autodiff.Ops.Pow(x, 2).ToArray(), Is.All.EqualTo(4f));
        Assert.That(Autodiff.Ops.Pow(x, 3).ToArray(), Is.All.EqualTo(-8f));
    }

    [Test]
    public void Forward_RaisesToFractionalAndNegativePowers()
    {
        // torch.tensor([2., 4.]) ** 0.5 -> [1.4142135623730951, 2];  ** -1.5 -> [0.3535533905932738, 0.125]
        var x = F64(2, 4);
        Assert.That(Autodiff.Ops.Pow(x, 0.5).ToDoubleArray(), Is.EqualTo(new[] { 1.4142135623730951, 2.0 }).Within(1e-12));
        Assert.That(Autodiff.Ops.Pow(x, -1.5).ToDoubleArray(), Is.EqualTo(new[] { 1 / (2 * 1.4142135623730951), 0.125 }).Within(1e-12));
    }

    [Test]
    public void Forward_GivesNaNForNegativeBaseAndFractionalPower()
    {
        Assert.That(Autodiff.Ops.Pow(F64(-8), 1.0 / 3)[0], Is.NaN);   // torch.tensor([-8.]) ** (1/3) -> [nan]
    }

    [Test]
    public void Forward_GivesOnesAndZeroGradientForPowerZero()
    {
        // torch: x ** 0 = 1 everywhere (0 ** 0 = 1), and its gradient is 0
        var x = F64(-2, 0, 3).RequireGrad();
        var y = Autodiff.Ops.Pow(x, 0);
        BackwardOfSum(y);
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 1, 1 }).Within(1e-12));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 0, 0 }).Within(1e-12));
    }

    [Test]
    public void Backward_GivesPowerRule()
    {
        // d/dx x³ = 3x²: x = [-2, 0, 0.5] -> [12, 0, 0.75]
        var x = F64(-2, 0, 0.5).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Pow(x, 3));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 12.0, 0, 0.75 }).Within(1e-12));
    }

    [Test]
    public void Backward_GivesOneForPowerOneAtZero()
    {
        // d/dx x¹ = 1·x⁰ = 1, also at x = 0
        var x = F64(0, -3).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Pow(x, 1));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 1.0 }).Within(1e-12));
    }

    [TestCase(new[] { 5 }, 2.0, 121)]
    [TestCase(new[] { 2, 3 }, 3.0, 122)]
    [TestCase(new[] { 2, 3, 4 }, 2.0, 123)]
    [TestCase(new int[0], 3.0, 124)]
    [TestCase(new[] { 2, 3 }, 1.0, 125)]
    public void Backward_MatchesCentralDifferences_IntegerPower_Float64(int[] shape, double exponent, long seed)
    {
        GradCheck.Assert(xs => Autodiff.Ops.Pow(xs[0], exponent), [Randn(shape, seed)], "Pow");
    }

    [TestCase(new[] { 5 }, 0.5, 126)]
    [TestCase(new[] { 2, 3 }, -1.5, 127)]
    [TestCase(new[] { 2, 3, 4 }, 2.7, 128)]
    public void Backward_MatchesCentralDifferences_FractionalPower_Float64(int[] shape, double exponent, long seed)
    {
        GradCheck.Assert(xs => Autodiff.Ops.Pow(xs[0], exponent), [Uniform(shape, 0.3, 2.0, seed)], "Pow");
    }

    [Test]
    public void Throws_WhenExponentIsNaN()
    {
        var ex = Assert.Throws<ArgumentException>(() => Autodiff.Ops.Pow(F64(1, 2), double.NaN));
        Assert.That(ex!.Message, Does.Contain("Pow").And.Contain("exponent"));
    }
}
