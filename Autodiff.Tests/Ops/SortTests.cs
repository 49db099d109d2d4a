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

    // ---- Int64 input ------------------------------------------------------------------------------------------------

    [Test]
    public void Forward_Int64_SortsExactly_ValuesAndIndicesInt64_Stable()
    {
        // torch.sort(torch.tensor([[2**53 + 1, 2**53, -3, 2**53]]), stable=True): values stay int64, ties keep index order;
        // 2^53 + 1 and 2^53 are one double apart from nothing, so a sort through double would tie them.
        long big = 1L << 53;
        var x = Tensor.FromArray(new[] { big + 1, big, -3, big }, 1, 4);
        var (v, i) = Ops.Sort(x);
        Assert.That(v.DType, Is.EqualTo(DType.Int64));
        Assert.That(v.ToInt64Array(), Is.EqualTo(new[] { -3, big, big, big + 1 }));
        Assert.That(i.ToInt64Array(), Is.EqualTo(new long[] { 2, 1, 3, 0 }));
        var (vd, id) = Ops.Sort(x, descending: true);
        Assert.That(vd.ToInt64Array(), Is.EqualTo(new[] { big + 1, big, big, -3 }));
        Assert.That(id.ToInt64Array(), Is.EqualTo(new long[] { 0, 1, 3, 2 }));
        Assert.That(Ops.ArgSort(x).ToInt64Array(), Is.EqualTo(new long[] { 2, 1, 3, 0 }));
        Assert.That(v.RequiresGrad || i.RequiresGrad, Is.False);
    }

    [Test]
    public void Forward_Int64_AlongDim0()
    {
        var x = Tensor.FromArray(new long[] { 3, 1, 0, 5, 2, 2 }, 3, 2);         // columns [3, 0, 2] and [1, 5, 2]
        var (v, i) = Ops.Sort(x, dim: 0);
        Assert.That(v.ToInt64Array(), Is.EqualTo(new long[] { 0, 1, 2, 2, 3, 5 }));
        Assert.That(i.ToInt64Array(), Is.EqualTo(new long[] { 1, 0, 2, 2, 0, 1 }));
    }

    [Test]
    public void SortAndArgSort_ThrowForABoolTensor_NamingTheOp()
    {
        var mask = Tensor.FromArray(new[] { true, false });
        AssertThrows<ArgumentException>(() => Ops.Sort(mask), "Sort", "Bool", "To(DType.Int64)");
        AssertThrows<ArgumentException>(() => Ops.ArgSort(mask), "ArgSort", "Bool");
    }
}
