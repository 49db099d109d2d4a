using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.IndexSelect (Ops/IndexSelect.cs).</summary>
public class IndexSelectTests
{
    // [[1, 2], [3, 4], [5, 6]]
    private static Tensor Small() => Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, 3, 2);

    // expected = torch.index_select(x, dim, torch.tensor(indices))
    [TestCase(0, new[] { 2, 0, 2 }, new[] { 3, 2 }, new[] { 5.0, 6, 1, 2, 5, 6 })]
    [TestCase(1, new[] { 1 }, new[] { 3, 1 }, new[] { 2.0, 4, 6 })]
    [TestCase(-1, new[] { 1, 0, 1 }, new[] { 3, 3 }, new[] { 2.0, 1, 2, 4, 3, 4, 6, 5, 6 })]
    [TestCase(-2, new[] { 1 }, new[] { 1, 2 }, new[] { 3.0, 4 })]
    [TestCase(0, new int[0], new[] { 0, 2 }, new double[0])]
    public void Forward_GathersSlicesInIndexOrder(int dim, int[] indices, int[] shape, double[] expected)
    {
        var y = Ops.IndexSelect(Small(), dim, indices);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(shape));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(expected));
    }

    [Test]
    public void Forward_SelectsAlongMiddleDim()
    {
        var x = Tensor.Randn(new[] { 2, 3, 4 }, 1, DType.Float64);
        int[] indices = [2, 0, 2, 1];
        var y = Ops.IndexSelect(x, 1, indices);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 4, 4 }));
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 4; j++)
                for (int k = 0; k < 4; k++)
                    Assert.That(y[i, j, k], Is.EqualTo(x[i, indices[j], k]));
    }

    [Test]
    public void Backward_RepeatedIndicesAccumulateGradient()
    {
        var x = Small().RequireGrad();
        x.IndexSelect(0, new[] { 2, 0, 2 }).Backward(Tensor.FromArray(new[] { 1.0, 2, 10, 20, 100, 200 }, 3, 2));
        // row 2 collects rows 0 and 2 of g, row 0 collects row 1, row 1 gets nothing
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 10.0, 20, 0, 0, 101, 202 }).Within(1e-12));
    }

    [Test]
    public void Backward_UsesIndicesAsTheyWereAtForward()
    {
        var x = Small().RequireGrad();
        var indices = new[] { 1, 1 };
        var y = x.IndexSelect(0, indices);
        indices[0] = 0;
        y.Sum().Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 0, 2, 2, 0, 0 }));
    }

    [TestCase(0, new[] { 1, 1 })]
    [TestCase(1, new[] { 2, 0, 2, 1 })]
    [TestCase(-1, new[] { 3, 3, 0 })]
    [TestCase(2, new[] { 0, 1, 2, 3 })]
    public void Backward_MatchesCentralDifferences_Float64(int dim, int[] indices) =>
        GradCheck.Assert(xs => Ops.IndexSelect(xs[0], dim, indices), new[] { Leaf(2, 2, 3, 4) }, "IndexSelect");

    [TestCase(3)]
    [TestCase(-1)]
    public void Throws_WhenIndexOutOfRange(int index) =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.IndexSelect(Small(), 0, new[] { 0, index }), "IndexSelect", "[3, 2]", $"index {index}");

    [TestCase(2)]
    [TestCase(-3)]
    public void Throws_WhenDimOutOfRange(int dim) =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.IndexSelect(Small(), dim, new[] { 0 }), "IndexSelect", "[3, 2]");
}
