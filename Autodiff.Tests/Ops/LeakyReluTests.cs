using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

public class LeakyReluTests
{
    [Test]
    public void Forward_ScalesNegativeElementsByDefaultSlope()
    {
        // F.leaky_relu(torch.tensor([-2., 0., 3.])) -> [-0.02, 0, 3] (negative_slope=0.01)
        var y = Autodiff.Ops.LeakyRelu(F64(-2, 0, 3));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { -0.02, 0.0, 3.0 }).Within(1e-12));
    }

    [Test]
    public void Forward_ScalesNegativeElementsByGivenSlope_Float32()
    {
        // F.leaky_relu(torch.tensor([-2., 0., 3.]), 0.2) -> [-0.4, 0, 3]
        var y = Autodiff.Ops.LeakyRelu(F32(-2f, 0f, 3f), 0.2);
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { -0.4, 0.0, 3.0 }).Within(1e-6));
    }

    [Test]
    public void Backward_GivesOneWherePositiveAndSlopeElsewhere_SlopeAtZero()
    {
        // torch: x = tensor([-2., 0., 3.], requires_grad=True); F.leaky_relu(x, 0.2).sum().backward() -> [0.2, 0.2, 1]
        var x = F64(-2, 0, 3).RequireGrad();
        BackwardOfSum(Autodiff.Ops.LeakyRelu(x, 0.2));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.2, 0.2, 1.0 }).Within(1e-12));
    }

    [TestCase(new[] { 5 }, 0.01, 141)]
    [TestCase(new[] { 2, 3 }, 0.2, 142)]
    [TestCase(new[] { 2, 3, 4 }, 0.01, 143)]
    [TestCase(new int[0], 0.3, 144)]
    [TestCase(new[] { 2, 3 }, -0.5, 145)]
    public void Backward_MatchesCentralDifferences_Float64(int[] shape, double slope, long seed)
    {
        GradCheck.Assert(xs => Autodiff.Ops.LeakyRelu(xs[0], slope), [AwayFrom(0, 0.1, shape, seed)], "LeakyRelu");
    }

    [Test]
    public void Throws_WhenSlopeIsNaN()
    {
        var ex = Assert.Throws<ArgumentException>(() => Autodiff.Ops.LeakyRelu(F64(1, -1), double.NaN));
        Assert.That(ex!.Message, Does.Contain("LeakyRelu").And.Contain("negativeSlope"));
    }

    [Test]
    public void ThirdOrder_MatchesCentralDifferences_Float64() =>
        GradCheck.AssertSecondOrder(xs => Autograd.Grad([Autodiff.Ops.Pow(Autodiff.Ops.LeakyRelu(xs[0], 0.2), 4).Sum()], [xs[0]], createGraph: true)[0]!,
            [AwayFrom(0, 0.1, [2, 3], 78)], "LeakyRelu (third order)");
}
