using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Flatten (Ops/Flatten.cs): a reshape merging a run of dims.</summary>
public class FlattenTests
{
    [TestCase(0, -1, new[] { 24 })]
    [TestCase(1, -1, new[] { 2, 12 })]
    [TestCase(0, 1, new[] { 6, 4 })]
    [TestCase(-2, -1, new[] { 2, 12 })]
    [TestCase(1, 1, new[] { 2, 3, 4 })]
    public void Forward_Flatten_MergesDims(int start, int end, int[] expected)
    {
        var y = Ops.Flatten(Seq(2, 3, 4), start, end);                // torch.flatten(x, start, end)
        Assert.That(y.Shape.ToArray(), Is.EqualTo(expected));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(Enumerable.Range(0, 24).Select(i => (double)i)));
    }

    [Test]
    public void Forward_Flatten_ScalarBecomesOneElementVector()
    {
        var y = Ops.Flatten(Tensor.Scalar(2.0, DType.Float64));
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 1 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 2.0 }));
    }

    [TestCase(0, -1)]
    [TestCase(1, 2)]
    public void Backward_Flatten_MatchesCentralDifferences_Float64(int start, int end) =>
        GradCheck.Assert(xs => Ops.Flatten(xs[0], start, end), new[] { Leaf(2, 2, 3, 4) }, "Flatten");

    [TestCase(3, -1)]
    [TestCase(0, -4)]
    [TestCase(2, 1)]
    public void Throws_WhenFlattenDimsOutOfRangeOrReversed(int start, int end) =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Flatten(Seq(2, 3, 4), start, end), "Flatten", "[2, 3, 4]");
}
