using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Unsqueeze (Ops/Unsqueeze.cs): a reshape inserting a size-1 dim.</summary>
public class UnsqueezeTests
{
    [TestCase(0, new[] { 1, 2, 3 })]
    [TestCase(1, new[] { 2, 1, 3 })]
    [TestCase(2, new[] { 2, 3, 1 })]
    [TestCase(-1, new[] { 2, 3, 1 })]
    [TestCase(-2, new[] { 2, 1, 3 })]
    [TestCase(-3, new[] { 1, 2, 3 })]
    public void Forward_Unsqueeze_InsertsSizeOneDim(int dim, int[] expected)
    {
        var y = Ops.Unsqueeze(Seq(2, 3), dim);                       // torch.arange(6.).reshape(2, 3).unsqueeze(dim)
        Assert.That(y.Shape.ToArray(), Is.EqualTo(expected));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 1, 2, 3, 4, 5 }));
    }

    [TestCase(0)]
    [TestCase(-1)]
    public void Backward_Unsqueeze_MatchesCentralDifferences_Float64(int dim) =>
        GradCheck.Assert(xs => Ops.Unsqueeze(xs[0], dim), new[] { Leaf(3, 2, 3) }, "Unsqueeze");

    [TestCase(3)]
    [TestCase(-4)]
    public void Throws_WhenUnsqueezeDimOutOfRange(int dim) =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Unsqueeze(Seq(2, 3), dim), "Unsqueeze", "[2, 3]");
}
