using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

public class BernoulliTests
{
    [Test]
    public void Forward_DrawsOnesAtTheGivenRate()
    {
        var p = Tensor.Full([100_000], 0.3);
        var y = Ops.Bernoulli(p, new Generator(7));
        var values = y.ToArray();
        Assert.That(values, Is.All.EqualTo(0f).Or.EqualTo(1f));
        Assert.That(values.Average(), Is.EqualTo(0.3).Within(0.005));     // σ of the mean ≈ 0.0014
    }

    [Test]
    public void Forward_ZeroAndOneAreCertain_PerElement()
    {
        var y = Ops.Bernoulli(Tensor.FromArray([0.0, 1.0, 0.0, 1.0]), new Generator(1));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 1.0, 0.0, 1.0 }));
        Assert.That(y.DType, Is.EqualTo(DType.Float64));
    }

    [Test]
    public void Forward_IsRepeatableWithASeed_AndRecordsNothing()
    {
        var p = Tensor.Rand([50], seed: 3, DType.Float64).RequireGrad();
        var a = Ops.Bernoulli(p, new Generator(11));
        var b = Ops.Bernoulli(p, new Generator(11));
        Assert.That(a.ToDoubleArray(), Is.EqualTo(b.ToDoubleArray()));
        Assert.That(a.RequiresGrad, Is.False);
    }

    [TestCase(1.5)]
    [TestCase(-0.1)]
    [TestCase(double.NaN)]
    public void Throws_WhenAProbabilityIsOutsideZeroOne(double bad) =>
        AssertThrows<ArgumentException>(() => Ops.Bernoulli(Tensor.FromArray([0.5, bad])), "Bernoulli", "element 1", "[2]", "outside [0, 1]");
}
