using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Erf (Ops/Erf.cs): torch.erf.</summary>
public class ErfTests
{
    [Test]
    public void Forward_MatchesKnownValues()
    {
        var y = Ops.Erf(Tensor.FromArray(new[] { 0.0, 0.5, 1, -2, double.PositiveInfinity, double.NegativeInfinity }, 6));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 0.5204998778130465, 0.8427007929497149, -0.9953222650189527, 1, -1 }).Within(1e-12));
    }

    [Test]
    public void Forward_Float32()
    {
        var y = Ops.Erf(Tensor.FromArray(new[] { 1f, -1f }, 2));
        Assert.That(y.DType, Is.EqualTo(DType.Float32));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 0.8427008, -0.8427008 }).Within(1e-6));
    }

    [Test]
    public void Backward_MatchesCentralDifferences() => GradCheck.Assert(t => Ops.Erf(t[0]), [Leaf(1, 2, 3)], "Erf");
}
