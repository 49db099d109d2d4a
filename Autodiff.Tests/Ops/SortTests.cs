using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Sort and Ops.ArgSort (Ops/Sort.cs).</summary>
public class SortTests
{
    // [[3, 1, 3, 2], [0, 5, 0, -1]]
    private static Tensor Small() => Tensor.FromArray(new[] { 3.0, 1, 3, 2, 0, 5, 0, -1 }, 2, 4);

    [Test]
    public void Forward_Ascending_Stable()
    {
        // hand-derived; torch.sort(x, stable=True) agrees
        var (v, i) = Ops.Sort(Small());
        Assert.That(v.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 2, 3, 3, -1, 0, 0, 5 }));
        Assert.That(i.ToInt64Array(), Is.EqualTo(new long[] { 1, 3, 0, 2, 3, 0, 2, 1 }));
        Assert.That(i.DType, Is.EqualTo(DType.Int64));
        Assert.That(i.Shape, Is.EqualTo(new Shape(2, 4)));
    }

    [Test]
    public void Forward_Descending_Stable_AlongDim0()
    {
        var (v, i) = Ops.Sort(Small(), descending: true);
        Assert.That(v.ToDoubleArray(), Is.EqualTo(new[] { 3.0, 3, 2, 1, 5, 0, 0, -1 }));
        Assert.That(i.ToInt64Array(), Is.EqualTo(new long[] { 0, 2, 3, 1, 1, 0, 2, 3 }));

        var (w, j) = Ops.Sort(Small(), dim: 0);
        Assert.That(w.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 1, 0, -1, 3, 5, 3, 2 }));
        Assert.That(j.ToInt64Array(), Is.EqualTo(new long[] { 1, 0, 1, 1, 0, 1, 0, 0 }));
    }

    [Test]
    public void ArgSort_MatchesSortIndices()
    {
        Assert.That(Ops.ArgSort(Small()).ToInt64Array(), Is.EqualTo(Ops.Sort(Small()).Indices.ToInt64Array()));
        Assert.That(Ops.ArgSort(Small(), 0, descending: true).ToInt64Array(), Is.EqualTo(new long[] { 0, 1, 0, 0, 1, 0, 1, 1 }));
    }

    [Test]
    public void Backward_IsTheInversePermutation()
    {
        var x = Tensor.FromArray(new[] { 3.0, 1, 2 }, 3).RequireGrad();
        (Ops.Sort(x).Values * Tensor.FromArray(new[] { 10.0, 20, 30 }, 3)).Sum().Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 30.0, 10, 20 }));
    }

    [TestCase(-1, false)]
    [TestCase(0, true)]
    public void GradCheck_Float64(int dim, bool descending) =>
        GradCheck.Assert(xs => Ops.Sort(xs[0], dim, descending).Values, new[] { MaxTests.DistinctLeaf(5, 3, 4) }, "Sort");

    [Test]
    public void Throws_WhenDimOutOfRange()
    {
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Sort(Small(), 2), "Sort", "[2, 4]");
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.ArgSort(Small(), -3), "ArgSort", "[2, 4]");
    }
}
