using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.TopK (Ops/TopK.cs).</summary>
public class TopKTests
{
    // [[1, 5, 3, 5], [4, 2, 6, 0]]
    private static Tensor Small() => Tensor.FromArray(new[] { 1.0, 5, 3, 5, 4, 2, 6, 0 }, 2, 4);

    [Test]
    public void Forward_LargestSorted_TiesToLowerIndex()
    {
        // hand-derived (torch.topk(x, 2) gives the same values and indices)
        var (v, i) = Ops.TopK(Small(), 2);
        Assert.That(v.Shape, Is.EqualTo(new Shape(2, 2)));
        Assert.That(v.ToDoubleArray(), Is.EqualTo(new[] { 5.0, 5, 6, 4 }));
        Assert.That(i.DType, Is.EqualTo(DType.Int64));
        Assert.That(i.ToInt64Array(), Is.EqualTo(new long[] { 1, 3, 2, 0 }));
    }

    [Test]
    public void Forward_Smallest_AlongDim0_Unsorted()
    {
        var (v, i) = Ops.TopK(Small(), 1, dim: 0, largest: false);
        Assert.That(v.Shape, Is.EqualTo(new Shape(1, 4)));
        Assert.That(v.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 2, 3, 0 }));
        Assert.That(i.ToInt64Array(), Is.EqualTo(new long[] { 0, 1, 0, 1 }));

        var (u, j) = Ops.TopK(Tensor.FromArray(new[] { 3.0, 1, 4, 1, 5 }, 5), 3, sorted: false);
        Assert.That(j.ToInt64Array(), Is.EqualTo(new long[] { 0, 2, 4 }));   // the three largest, in index order
        Assert.That(u.ToDoubleArray(), Is.EqualTo(new[] { 3.0, 4, 5 }));
    }

    [Test]
    public void Forward_NaNCountsAsLargest_AndKZero()
    {
        var (v, i) = Ops.TopK(Tensor.FromArray(new[] { 1.0, double.NaN, 2 }, 3), 2);
        Assert.That(double.IsNaN(v.ToDoubleArray()[0]));
        Assert.That(i.ToInt64Array(), Is.EqualTo(new long[] { 1, 2 }));
        Assert.That(Ops.TopK(Small(), 0).Values.Shape, Is.EqualTo(new Shape(2, 0)));
    }

    [Test]
    public void Backward_ScattersToChosenPositions()
    {
        var x = Small().RequireGrad();
        var (v, _) = Ops.TopK(x, 2);
        (v * Tensor.FromArray(new[] { 1.0, 2, 3, 4 }, 2, 2)).Sum().Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 1, 0, 2, 4, 0, 3, 0 }));
    }

    [TestCase(-1, true, true)]
    [TestCase(1, false, true)]
    [TestCase(0, true, false)]
    public void GradCheck_Float64(int dim, bool largest, bool sorted) =>
        GradCheck.Assert(xs => Ops.TopK(xs[0], 2, dim, largest, sorted).Values, new[] { MaxTests.DistinctLeaf(3, 3, 4, 2) }, "TopK");

    [Test]
    public void GradCheck_SecondOrder() =>
        GradCheck.AssertSecondOrder(t => Autograd.Grad([Ops.Pow(Ops.TopK(t[0], 2).Values, 3).Sum()], [t[0]], createGraph: true)[0]!,
            new[] { MaxTests.DistinctLeaf(4, 2, 5) }, "TopK");

    [TestCase(-1)]
    [TestCase(5)]
    public void Throws_WhenKOutOfRange(int k) =>
        AssertThrows<ArgumentException>(() => Ops.TopK(Small(), k), "TopK", $"k {k}", "[2, 4]");

    [Test]
    public void Throws_WhenDimOutOfRange() =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.TopK(Small(), 1, dim: 2), "TopK", "[2, 4]");

    // ---- Int64 input ------------------------------------------------------------------------------------------------

    [Test]
    public void Forward_Int64_LargestAndSmallest_ValuesInt64()
    {
        // torch.topk(torch.tensor([4, -7, 9, 9, 0]), 3) -> values [9, 9, 4], indices [2, 3, 0]; largest=False -> [-7, 0, 4]
        var x = Tensor.FromArray(new long[] { 4, -7, 9, 9, 0 });
        var (v, i) = Ops.TopK(x, 3);
        Assert.That(v.DType, Is.EqualTo(DType.Int64));
        Assert.That(v.ToInt64Array(), Is.EqualTo(new long[] { 9, 9, 4 }));
        Assert.That(i.ToInt64Array(), Is.EqualTo(new long[] { 2, 3, 0 }));
        var (s, j) = Ops.TopK(x, 3, largest: false);
        Assert.That(s.ToInt64Array(), Is.EqualTo(new long[] { -7, 0, 4 }));
        Assert.That(j.ToInt64Array(), Is.EqualTo(new long[] { 1, 4, 0 }));
        var (u, k) = Ops.TopK(x, 3, sorted: false);                                // the same three, in index order
        Assert.That(u.ToInt64Array(), Is.EqualTo(new long[] { 4, 9, 9 }));
        Assert.That(k.ToInt64Array(), Is.EqualTo(new long[] { 0, 2, 3 }));
        Assert.That(v.RequiresGrad, Is.False);
    }

    [Test]
    public void TopK_ThrowsForABoolTensor_NamingTheOp() =>
        AssertThrows<ArgumentException>(() => Ops.TopK(Tensor.FromArray(new[] { true, false }), 1), "TopK", "Bool");
}
