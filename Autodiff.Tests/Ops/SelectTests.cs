using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Select (Ops/Select.cs): x[..., i], the slice at one index with its dim removed.</summary>
public class SelectTests
{
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
