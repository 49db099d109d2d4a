using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Squeeze (Ops/Squeeze.cs): a reshape removing size-1 dims.</summary>
public class SqueezeTests
{
    [TestCase(1, new[] { 2, 3 })]
    [TestCase(-2, new[] { 2, 3 })]
    [TestCase(0, new[] { 2, 1, 3 })]                                 // size 2: unchanged, as torch.squeeze
    [TestCase(2, new[] { 2, 1, 3 })]
    public void Forward_Squeeze_RemovesSizeOneDim(int dim, int[] expected)
    {
        var y = Ops.Squeeze(Seq(2, 1, 3), dim);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(expected));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 1, 2, 3, 4, 5 }));
    }

    [TestCase(new[] { 1, 2, 1, 3, 1 }, new[] { 2, 3 })]
    [TestCase(new[] { 1, 1 }, new int[0])]
    [TestCase(new[] { 2, 3 }, new[] { 2, 3 })]
    public void Forward_SqueezeAll_RemovesEverySizeOneDim(int[] shape, int[] expected) =>
        Assert.That(Ops.Squeeze(Seq(shape)).Shape.ToArray(), Is.EqualTo(expected));

    [Test]
    public void Backward_Squeeze_MatchesCentralDifferences_Float64()
    {
        GradCheck.Assert(xs => Ops.Squeeze(xs[0], 1), new[] { Leaf(4, 2, 1, 3) }, "Squeeze");
        GradCheck.Assert(xs => Ops.Squeeze(xs[0]), new[] { Leaf(5, 1, 3, 1, 2) }, "Squeeze");
    }

    [TestCase(3)]
    [TestCase(-4)]
    public void Throws_WhenSqueezeDimOutOfRange(int dim) =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Squeeze(Seq(2, 1, 3), dim), "Squeeze", "[2, 1, 3]");
}
