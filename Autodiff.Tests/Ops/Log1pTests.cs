using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

public class Log1pTests
{
    [Test]
    public void Forward_TakesLogOfOnePlusEveryElement()
    {
        // torch.log1p(torch.tensor([0., 1., -0.5, 3.], dtype=torch.float64)) -> [0, ln 2, -ln 2, ln 4]
        var y = Autodiff.Ops.Log1p(F64(0, 1, -0.5, 3));
        Assert.That(y.ToDoubleArray(),
            Is.EqualTo(new[] { 0.0, 0.6931471805599453, -0.6931471805599453, 1.3862943611198906 }).Within(1e-12));
    }

    [Test]
    public void Forward_IsAccurateForTinyInput_Float64()
    {
        // math.log1p(1e-10) = 9.999999999500001e-11; the naive log(1 + 1e-10) is 1.000000082740371e-10 (wrong in the 8th digit)
        var y = Autodiff.Ops.Log1p(F64(1e-10))[0];
        Assert.That(y, Is.EqualTo(9.999999999500001e-11).Within(1e-13).Percent);
        Assert.That(Autodiff.Ops.Log1p(F64(-1e-10))[0], Is.EqualTo(-1.00000000005e-10).Within(1e-13).Percent);
    }

    [Test]
    public void Forward_IsAccurateForTinyInput_Float32()
    {
        // float32: log1p(1e-10f) rounds to 1e-10f itself; log(1 + 1e-10f) would give 0
        var y = Autodiff.Ops.Log1p(F32(1e-10f)).ToArray()[0];
        Assert.That(y, Is.EqualTo(1e-10f));
    }

    [Test]
    public void Forward_GivesMinusInfinityAtMinusOneAndInfinityAtInfinity()
    {
        // torch.log1p(torch.tensor([-1., inf])) -> [-inf, inf]
        var y = Autodiff.Ops.Log1p(F64(-1, double.PositiveInfinity)).ToDoubleArray();
        Assert.That(y[0], Is.EqualTo(double.NegativeInfinity));
        Assert.That(y[1], Is.EqualTo(double.PositiveInfinity));
    }

    [Test]
    public void Backward_GivesOneOverOnePlusX()
    {
        // d/dx ln(1 + x) = 1/(1 + x): x = [0, 1, -0.5] -> [1, 0.5, 2]
        var x = F64(0, 1, -0.5).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Log1p(x));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 0.5, 2.0 }).Within(1e-12));
    }

    [TestCase(new[] { 5 }, 131)]
    [TestCase(new[] { 2, 3 }, 132)]
    [TestCase(new[] { 2, 3, 4 }, 133)]
    [TestCase(new int[0], 134)]
    public void Backward_MatchesCentralDifferences_Float64(int[] shape, long seed)
    {
        GradCheck.Assert(xs => Autodiff.Ops.Log1p(xs[0]), [Uniform(shape, -0.7, 3.0, seed)], "Log1p");
    }

    [Test]
    public void Backward_MatchesCentralDifferences_NearZero_Float64()
    {
        GradCheck.Assert(xs => Autodiff.Ops.Log1p(xs[0]), [Uniform([2, 3], -1e-3, 1e-3, 135)], "Log1p");
    }
}
