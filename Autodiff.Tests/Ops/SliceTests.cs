using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Slice (Ops/Slice.cs), with Python's slicing rules.</summary>
public class SliceTests
{
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

    [Test]
    public void Backward_ThirdOrder_DifferentiatesTheScatterTwice() =>
        // Slice's backward is SliceScatter, whose backward is the strided read again, whose backward is SliceScatter.
        GradCheck.AssertSecondOrder(t => Autograd.Grad([Ops.Pow(Ops.Slice(t[0], 1, 1, 5, 2), 4).Sum()], [t[0]], createGraph: true)[0]!,
            [Leaf(5, 2, 5)], "Slice (third order)");

    [TestCase(2)]
    [TestCase(-3)]
    public void Throws_WhenDimOutOfRange(int dim) =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Slice(Seq(2, 3), dim, 0, 1), "Slice", "[2, 3]");

    [TestCase(0)]
    [TestCase(-1)]
    public void Throws_WhenStepNotPositive(int step) =>
        AssertThrows<ArgumentException>(() => Ops.Slice(Seq(2, 3), 1, 0, 3, step), "Slice", "[2, 3]", $"{step}");
}
