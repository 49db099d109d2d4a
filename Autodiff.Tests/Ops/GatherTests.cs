using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Gather, Ops.ScatterAdd, Ops.Scatter (Ops/Gather.cs, Ops/Scatter.cs) and IndexSelect's Int64 overload.</summary>
public class GatherTests
{
    // [[1, 2, 3], [4, 5, 6]]
    private static Tensor Small() => Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, 2, 3);

    private static Tensor Index(long[] values, params int[] shape) => Tensor.FromArray(values, shape);

    // Expected values derived by hand from out[i][j] = x[index[i][j]][j] (dim 0) / x[i][index[i][j]] (dim 1);
    // same as torch.gather(x, dim, index).
    [TestCase(1, new long[] { 2, 0, 1, 1 }, new[] { 2, 2 }, new[] { 3.0, 1, 5, 5 })]
    [TestCase(-1, new long[] { 0, 0, 2, 2, 1, 0 }, new[] { 2, 3 }, new[] { 1.0, 1, 3, 6, 5, 4 })]
    [TestCase(0, new long[] { 1, 0, 1 }, new[] { 1, 3 }, new[] { 4.0, 2, 6 })]
    [TestCase(0, new long[] { 1, 1, 0, 0 }, new[] { 2, 2 }, new[] { 4.0, 5, 1, 2 })]
    [TestCase(1, new long[] { 2, 2, 2, 0 }, new[] { 1, 4 }, new[] { 3.0, 3, 3, 1 })]
    public void Forward_PicksAlongDim(int dim, long[] index, int[] shape, double[] expected)
    {
        var y = Ops.Gather(Small(), dim, Index(index, shape));
        Assert.That(y.Shape.ToArray(), Is.EqualTo(shape));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(expected));
    }

    [Test]
    public void Forward_MatchesDefinitionOnAMiddleDim()
    {
        var x = Tensor.Randn(new[] { 2, 4, 3 }, 1, DType.Float64);
        long[] values = [3, 0, 1, 2, 2, 2, 0, 1, 3, 1, 1, 0];                             // index [2, 2, 3]
        var y = x.Gather(1, Index(values, 2, 2, 3));
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                for (int k = 0; k < 3; k++)
                    Assert.That(y[i, j, k], Is.EqualTo(x[i, (int)values[(i * 2 + j) * 3 + k], k]));
    }

    [Test]
    public void Backward_RepeatedIndicesAccumulate()
    {
        var x = Small().RequireGrad();
        x.Gather(1, Index(new long[] { 2, 2, 0, 1 }, 2, 2)).Backward(Tensor.FromArray(new[] { 1.0, 10, 100, 1000 }, 2, 2));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 0, 11, 100, 1000, 0 }));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(-1)]
    public void Backward_MatchesCentralDifferences_Float64(int dim)
    {
        var index = Index(new long[] { 2, 0, 1, 1, 0, 3, 3, 2, 0, 1, 2, 3 }, 2, 2, 3);
        GradCheck.Assert(xs => Ops.Gather(xs[0], dim, index), new[] { Leaf(3, 4, 4, 4) }, "Gather");
    }

    [Test]
    public void SecondOrder_MatchesCentralDifferences_Float64()
    {
        var index = Index(new long[] { 2, 0, 2, 1, 1, 0 }, 2, 3);
        GradCheck.AssertSecondOrder(xs => Ops.Gather(xs[0] * xs[0], 1, index), new[] { Leaf(4, 2, 3) }, "Gather");
    }

    [Test]
    public void Throws_WhenIndexValueOutOfRange() =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Gather(Small(), 1, Index(new long[] { 0, 1, 3, 0 }, 2, 2)),
            "Gather", "index 3", "position [1, 0]", "[2, 3]", "[2, 2]");

    [Test]
    public void Throws_WhenIndexNegative() =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Gather(Small(), 0, Index(new long[] { -1 }, 1, 1)),
            "Gather", "index -1", "position [0, 0]", "[2, 3]");

    [Test]
    public void Throws_WhenIndexLargerOffDim() =>
        AssertThrows<ArgumentException>(() => Ops.Gather(Small(), 1, Index(new long[3], 3, 1)), "Gather", "[3, 1]", "[2, 3]", "dim 0");

    [Test]
    public void Throws_WhenIndexRankDiffers() =>
        AssertThrows<ArgumentException>(() => Ops.Gather(Small(), 1, Index(new long[2], 2)), "Gather", "[2]", "[2, 3]");

    [Test]
    public void Throws_WhenIndexNotInt64() =>
        AssertThrows<ArgumentException>(() => Ops.Gather(Small(), 1, Tensor.Zeros(new[] { 2, 2 }, DType.Float64)), "Gather", "Float64", "Int64");

    [Test]
    public void Throws_WhenDimOutOfRange() =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Gather(Small(), 2, Index(new long[1], 1, 1)), "Gather", "[2, 3]");

    // ---- ScatterAdd ---------------------------------------------------------------------------------------------

    // By hand: out = x.clone(); out[i][index[i][j]] += src[i][j] (dim 1), out[index[i][j]][j] += src[i][j] (dim 0);
    // same as torch.scatter_add.
    [TestCase(1, new long[] { 2, 2, 0, 1 }, new[] { 2, 2 }, new[] { 10.0, 100, 1000, 10000 }, new[] { 1.0, 2, 113, 1004, 10005, 6 })]
    [TestCase(0, new long[] { 1, 0, 1 }, new[] { 1, 3 }, new[] { 10.0, 100, 1000 }, new[] { 1.0, 102, 3, 14, 5, 1006 })]
    [TestCase(0, new long[] { 1, 1, 1, 1 }, new[] { 2, 2 }, new[] { 10.0, 100, 1000, 10000 }, new[] { 1.0, 2, 3, 1014, 10105, 6 })]
    public void ScatterAdd_Forward(int dim, long[] index, int[] shape, double[] src, double[] expected)
    {
        var y = Small().ScatterAdd(dim, Index(index, shape), Tensor.FromArray(src, shape));
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(expected));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(-1)]
    public void ScatterAdd_Backward_MatchesCentralDifferences_Float64(int dim)
    {
        var index = Index(new long[] { 2, 0, 1, 1, 0, 3, 3, 2, 0, 1, 2, 2 }, 2, 2, 3);
        GradCheck.Assert(xs => Ops.ScatterAdd(xs[0], dim, index, xs[1]), new[] { Leaf(5, 4, 4, 4), Leaf(6, 2, 2, 3) }, "ScatterAdd");
    }

    [Test]
    public void ScatterAdd_SecondOrder_MatchesCentralDifferences_Float64()
    {
        var index = Index(new long[] { 2, 2, 0, 1 }, 2, 2);
        GradCheck.AssertSecondOrder(xs => Ops.ScatterAdd(xs[0] * xs[0], 1, index, xs[1] * xs[1]), new[] { Leaf(7, 2, 3), Leaf(8, 2, 2) }, "ScatterAdd");
    }

    [Test]
    public void ScatterAdd_Throws_WhenSrcShapeDiffers() =>
        AssertThrows<ArgumentException>(() => Small().ScatterAdd(1, Index(new long[4], 2, 2), Tensor.Zeros(new[] { 2, 3 }, DType.Float64)),
            "ScatterAdd", "src [2, 3]", "index [2, 2]");

    [Test]
    public void ScatterAdd_Throws_WhenIndexValueOutOfRange() =>
        AssertThrows<ArgumentOutOfRangeException>(() => Small().ScatterAdd(0, Index(new long[] { 0, 2 }, 1, 2), Tensor.Zeros(new[] { 1, 2 }, DType.Float64)),
            "ScatterAdd", "index 2", "position [0, 1]", "[2, 3]");

    // ---- Scatter ------------------------------------------------------------------------------------------------

    // By hand: out = x.clone(); out[i][index[i][j]] = src[i][j]; with a repeated index the last value (row-major) is written.
    [TestCase(1, new long[] { 2, 0, 1, 1 }, new[] { 2, 2 }, new[] { 10.0, 100, 1000, 10000 }, new[] { 100.0, 2, 10, 4, 10000, 6 })]
    [TestCase(0, new long[] { 1, 0, 1 }, new[] { 1, 3 }, new[] { 10.0, 100, 1000 }, new[] { 1.0, 100, 3, 10, 5, 1000 })]
    public void Scatter_Forward(int dim, long[] index, int[] shape, double[] src, double[] expected)
    {
        var y = Small().Scatter(dim, Index(index, shape), Tensor.FromArray(src, shape));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(expected));
    }

    [Test]
    public void Scatter_Backward_ZeroesOverwrittenPositionsOfX()
    {
        var x = Small().RequireGrad();
        var src = Tensor.FromArray(new[] { 10.0, 100 }, 1, 2).RequireGrad();
        x.Scatter(1, Index(new long[] { 2, 0 }, 1, 2), src).Backward(Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, 2, 3));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 2, 0, 4, 5, 6 }));
        Assert.That(src.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 3.0, 1 }));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(-1)]
    public void Scatter_Backward_MatchesCentralDifferences_Float64(int dim)
    {
        // distinct indices along each scattered line, so the function is smooth in src
        var index = Index(new long[] { 0, 1, 2, 1, 2, 3, 2, 3, 0, 3, 0, 1 }, 2, 2, 3);
        GradCheck.Assert(xs => Ops.Scatter(xs[0], dim, index, xs[1]), new[] { Leaf(9, 4, 4, 4), Leaf(10, 2, 2, 3) }, "Scatter");
    }

    [Test]
    public void Scatter_SecondOrder_MatchesCentralDifferences_Float64()
    {
        var index = Index(new long[] { 2, 0, 0, 1 }, 2, 2);
        GradCheck.AssertSecondOrder(xs => Ops.Scatter(xs[0] * xs[0], 1, index, xs[1] * xs[1]), new[] { Leaf(11, 2, 3), Leaf(12, 2, 2) }, "Scatter");
    }

    [Test]
    public void Scatter_Throws_WhenIndexNotInt64() =>
        AssertThrows<ArgumentException>(() => Small().Scatter(1, Tensor.Zeros(new[] { 2, 2 }, DType.Float64), Tensor.Zeros(new[] { 2, 2 }, DType.Float64)),
            "Scatter", "Float64", "Int64");

    // ---- IndexSelect with an Int64 index ------------------------------------------------------------------------

    [Test]
    public void IndexSelect_Int64Index_MatchesIntArrayOverload()
    {
        var x = Tensor.Randn(new[] { 3, 4 }, 2, DType.Float64);
        var y = x.IndexSelect(1, Index(new long[] { 3, 0, 3 }, 3));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(Ops.IndexSelect(x, 1, new[] { 3, 0, 3 }).ToDoubleArray()));
    }

    [Test]
    public void IndexSelect_Int64Index_MatchesCentralDifferences_Float64()
    {
        var index = Index(new long[] { 2, 0, 2 }, 3);
        GradCheck.Assert(xs => Ops.IndexSelect(xs[0], 0, index), new[] { Leaf(13, 3, 2) }, "IndexSelect");
    }

    [Test]
    public void IndexSelect_Int64Index_Throws_WhenOutOfRange() =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.IndexSelect(Small(), 0, Index(new long[] { 0, 2 }, 2)), "IndexSelect", "index 2", "[2, 3]");

    [Test]
    public void IndexSelect_Int64Index_Throws_WhenNot1D() =>
        AssertThrows<ArgumentException>(() => Ops.IndexSelect(Small(), 0, Index(new long[2], 1, 2)), "IndexSelect", "[1, 2]", "1-D");
}
