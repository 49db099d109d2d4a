using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Sum (Ops/Sum.cs), over all elements and along one dim.</summary>
public class SumTests
{
    // [[1, 2, 3], [4, 5, 6]]
    private static Tensor Small() => Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, 2, 3);

    // ---- Sum, all elements ------------------------------------------------------------------------------------

    [Test]
    public void Forward_SumsAllElements()
    {
        var y = Ops.Sum(Small());                                   // 1 + 2 + 3 + 4 + 5 + 6
        Assert.That(y.Shape.ToArray(), Is.Empty);
        Assert.That(y.ItemDouble(), Is.EqualTo(21.0).Within(1e-12));
    }

    [Test]
    public void Forward_SumsAllElements_Float32()
    {
        var y = Tensor.FromArray(new[] { 0.5f, 1.5f, -4f }, 3).Sum();
        Assert.That(y.DType, Is.EqualTo(DType.Float32));
        Assert.That(y.ItemDouble(), Is.EqualTo(-2.0).Within(1e-12));
    }

    [Test]
    public void Forward_EmptyTensor_SumsToZero()
    {
        var y = Tensor.Zeros(new[] { 0, 3 }, DType.Float64).Sum();  // torch.zeros(0, 3).sum() == 0
        Assert.That(y.ItemDouble(), Is.EqualTo(0.0));
    }

    // ---- Sum along a dim ----------------------------------------------------------------------------------------

    [TestCase(0, new[] { 5.0, 7, 9 }, new[] { 3 })]                  // [1+4, 2+5, 3+6]
    [TestCase(1, new[] { 6.0, 15 }, new[] { 2 })]                    // [1+2+3, 4+5+6]
    [TestCase(-1, new[] { 6.0, 15 }, new[] { 2 })]
    [TestCase(-2, new[] { 5.0, 7, 9 }, new[] { 3 })]
    public void Forward_SumsAlongDim(int dim, double[] expected, int[] shape)
    {
        var y = Ops.Sum(Small(), dim);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(shape));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(expected).Within(1e-12));
    }

    [TestCase(0, new[] { 1, 3 })]
    [TestCase(1, new[] { 2, 1 })]
    [TestCase(-1, new[] { 2, 1 })]
    public void Forward_KeepDim_KeepsSizeOneDim(int dim, int[] shape)
    {
        var y = Ops.Sum(Small(), dim, keepDim: true);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(shape));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(Ops.Sum(Small(), dim).ToDoubleArray()).Within(1e-12));
    }

    [Test]
    public void Forward_SumsMiddleDim()
    {
        // x[o, k, i] = 12o + 4k + i; Σₖ = 3(12o + i) + 12  ->  torch.arange(24.).reshape(2, 3, 4).sum(1)
        var x = Tensor.Arange(24, DType.Float64).Reshape(2, 3, 4);
        var y = x.Sum(1);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 4 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 12.0, 15, 18, 21, 48, 51, 54, 57 }).Within(1e-12));
    }

    // ---- Sum backward -------------------------------------------------------------------------------------------

    [Test]
    public void Backward_SumOfAll_SendsOneToEveryElement()
    {
        var x = Small().RequireGrad();
        x.Sum().Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(Enumerable.Repeat(1.0, 6)).Within(1e-12));
    }

    [Test]
    public void Backward_SumAlongDim_BroadcastsGradientBack()
    {
        var x = Small().RequireGrad();
        x.Sum(0).Backward(Tensor.FromArray(new[] { 1.0, 10, 100 }));   // dx[k, j] = g[j]
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 10, 100, 1, 10, 100 }).Within(1e-12));
    }

    [Test]
    public void Backward_AccumulatesWhenInputIsUsedTwice()
    {
        var x = Small().RequireGrad();
        (x.Sum() + x.Sum(1).Sum()).Backward();                       // d/dx of 2 Σx
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(Enumerable.Repeat(2.0, 6)).Within(1e-12));
    }

    [TestCase(new[] { 2, 3, 4 })]
    [TestCase(new[] { 5 })]
    [TestCase(new int[0])]
    public void Backward_SumOfAll_MatchesCentralDifferences_Float64(int[] shape) =>
        GradCheck.Assert(xs => Ops.Sum(xs[0]), new[] { Leaf(1, shape) }, "Sum");

    [TestCase(0, false)]
    [TestCase(1, false)]
    [TestCase(2, false)]
    [TestCase(-1, false)]
    [TestCase(-3, false)]
    [TestCase(1, true)]
    [TestCase(-1, true)]
    public void Backward_SumAlongDim_MatchesCentralDifferences_Float64(int dim, bool keepDim) =>
        GradCheck.Assert(xs => Ops.Sum(xs[0], dim, keepDim), new[] { Leaf(2, 2, 3, 4) }, "Sum");

    [Test]
    public void Backward_SumAlongSizeOneDim_MatchesCentralDifferences_Float64() =>
        GradCheck.Assert(xs => Ops.Sum(xs[0], 1, keepDim: true) * xs[0], new[] { Leaf(3, 3, 1) }, "Sum");

    [TestCase(2)]
    [TestCase(-3)]
    public void Throws_WhenDimOutOfRange(int dim) =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Sum(Small(), dim), "Sum", "[2, 3]", $"dim {dim}");
}
