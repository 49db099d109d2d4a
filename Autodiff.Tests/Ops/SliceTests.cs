using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Slice and Ops.Select (Ops/Slice.cs), with Python's slicing rules.</summary>
public class SliceTests
{
    // ---- Slice --------------------------------------------------------------------------------------------------

    // x = torch.arange(6.); expected = x[start:end:step]
    [TestCase(1, 4, 1, new[] { 1.0, 2, 3 })]
    [TestCase(-3, -1, 1, new[] { 3.0, 4 })]
    [TestCase(0, 6, 2, new[] { 0.0, 2, 4 })]
    [TestCase(1, 6, 2, new[] { 1.0, 3, 5 })]
    [TestCase(-5, 100, 2, new[] { 1.0, 3, 5 })]
    [TestCase(-100, 2, 1, new[] { 0.0, 1 })]
    [TestCase(0, 6, 4, new[] { 0.0, 4 })]
    [TestCase(2, 5, 10, new[] { 2.0 })]
    [TestCase(4, 2, 1, new double[0])]
    [TestCase(6, 8, 1, new double[0])]
    [TestCase(-1, 6, 1, new[] { 5.0 })]
    public void Forward_SlicesLikePython(int start, int end, int step, double[] expected)
    {
        var y = Ops.Slice(Seq(6), 0, start, end, step);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { expected.Length }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(expected));
    }

    // x = torch.arange(12.).reshape(3, 4)
    [TestCase(1, 1, 3, 1, new[] { 3, 2 }, new[] { 1.0, 2, 5, 6, 9, 10 })]                    // x[:, 1:3]
    [TestCase(-1, 0, 4, 2, new[] { 3, 2 }, new[] { 0.0, 2, 4, 6, 8, 10 })]                   // x[:, ::2]
    [TestCase(0, -2, 3, 1, new[] { 2, 4 }, new[] { 4.0, 5, 6, 7, 8, 9, 10, 11 })]            // x[-2:3]
    [TestCase(-2, 0, 3, 2, new[] { 2, 4 }, new[] { 0.0, 1, 2, 3, 8, 9, 10, 11 })]            // x[0:3:2]
    [TestCase(1, -3, -1, 2, new[] { 3, 1 }, new[] { 1.0, 5, 9 })]                            // x[:, -3:-1:2]
    public void Forward_SlicesAlongDimOfMatrix(int dim, int start, int end, int step, int[] shape, double[] expected)
    {
        var y = Ops.Slice(Seq(3, 4), dim, start, end, step);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(shape));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(expected));
    }

    [Test]
    public void Backward_PutsGradientIntoSlicedPositions()
    {
        var x = Seq(6).RequireGrad();
        x.Slice(0, 1, 6, 2).Backward(Tensor.FromArray(new[] { 10.0, 20, 30 }));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 10, 0, 20, 0, 30 }));
    }

    [Test]
    public void Backward_EmptySlice_GivesZeroGradient()
    {
        var x = Seq(2, 3).RequireGrad();
        (x.Slice(1, 2, 1).Sum() + x.Select(0, 0).Sum()).Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 1, 1, 0, 0, 0 }));
    }

    [TestCase(0, 0, 2, 1)]
    [TestCase(1, 1, 5, 2)]
    [TestCase(1, -4, -1, 1)]
    [TestCase(-1, -3, 100, 2)]
    [TestCase(2, 0, 4, 3)]
    [TestCase(-3, -1, 2, 1)]
    public void Backward_MatchesCentralDifferences_Float64(int dim, int start, int end, int step) =>
        GradCheck.Assert(xs => Ops.Slice(xs[0], dim, start, end, step), new[] { Leaf(1, 2, 5, 4) }, "Slice");

    [Test]
    public void Backward_OverlappingSlices_Accumulate() =>
        GradCheck.Assert(xs => Ops.Slice(xs[0], 0, 0, 4) * Ops.Slice(xs[0], 0, 2, 6), new[] { Leaf(2, 6) }, "Slice");

    [TestCase(2)]
    [TestCase(-3)]
    public void Throws_WhenDimOutOfRange(int dim) =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Slice(Seq(2, 3), dim, 0, 1), "Slice", "[2, 3]");

    [TestCase(0)]
    [TestCase(-1)]
    public void Throws_WhenStepNotPositive(int step) =>
        AssertThrows<ArgumentException>(() => Ops.Slice(Seq(2, 3), 1, 0, 3, step), "Slice", "[2, 3]", $"{step}");

    // ---- Select -------------------------------------------------------------------------------------------------

    // x = torch.arange(12.).reshape(3, 4); expected = x.select(dim, index)
    [TestCase(0, 1, new[] { 4.0, 5, 6, 7 })]
    [TestCase(0, -1, new[] { 8.0, 9, 10, 11 })]
    [TestCase(1, -1, new[] { 3.0, 7, 11 })]
    [TestCase(-1, 0, new[] { 0.0, 4, 8 })]
    [TestCase(-2, 2, new[] { 8.0, 9, 10, 11 })]
    public void Forward_Select_RemovesDim(int dim, int index, double[] expected)
    {
        var y = Ops.Select(Seq(3, 4), dim, index);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { expected.Length }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(expected));
    }

    [Test]
    public void Forward_Select_OfVectorIsScalar()
    {
        var y = Ops.Select(Seq(4), 0, 2);
        Assert.That(y.Shape.ToArray(), Is.Empty);
        Assert.That(y.ItemDouble(), Is.EqualTo(2.0));
    }

    [Test]
    public void Backward_Select_PutsGradientIntoSelectedSlice()
    {
        var x = Seq(3, 4).RequireGrad();
        x.Select(1, 2).Backward(Tensor.FromArray(new[] { 1.0, 2, 3 }));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0 }));
    }

    [TestCase(0, 1)]
    [TestCase(1, -1)]
    [TestCase(-1, 2)]
    [TestCase(2, 0)]
    public void Backward_Select_MatchesCentralDifferences_Float64(int dim, int index) =>
        GradCheck.Assert(xs => Ops.Select(xs[0], dim, index), new[] { Leaf(3, 2, 3, 4) }, "Select");

    [Test]
    public void Backward_SelectOfVector_MatchesCentralDifferences_Float64() =>
        GradCheck.Assert(xs => Ops.Select(xs[0], 0, -2), new[] { Leaf(4, 5) }, "Select");

    [TestCase(3)]
    [TestCase(-4)]
    public void Throws_WhenSelectIndexOutOfRange(int index) =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Select(Seq(2, 3), 1, index), "Select", "[2, 3]", $"index {index}");

    [TestCase(2)]
    [TestCase(-3)]
    public void Throws_WhenSelectDimOutOfRange(int dim) =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Select(Seq(2, 3), dim, 0), "Select", "[2, 3]");
}
