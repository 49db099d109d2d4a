using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Softmax (Ops/Softmax.cs): torch.softmax, the composite Exp(LogSoftmax(x, dim)).</summary>
public class SoftmaxTests
{
    [Test]
    public void Forward_NormalizesExponentials()
    {
        var y = Ops.Softmax(Tensor.FromArray(new[] { 0.0, Math.Log(3) }), 0);   // [1, 3] / 4
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 0.25, 0.75 }).Within(1e-12));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(-2)]
    public void Forward_RowsSumToOne(int dim)
    {
        var x = Tensor.Randn(new[] { 2, 3, 4 }, 3, DType.Float64) * 5.0;
        var y = Ops.Softmax(x, dim);
        Assert.That(y.ToDoubleArray(), Has.All.GreaterThan(0.0));
        var sums = y.Sum(dim).ToDoubleArray();
        Assert.That(sums, Has.Length.EqualTo(24 / x.Shape[dim]));
        Assert.That(sums, Is.EqualTo(Enumerable.Repeat(1.0, sums.Length)).Within(1e-12));
    }

    [TestCase(new[] { 1000.0, 0 }, new[] { 1.0, 0 })]
    [TestCase(new[] { -1000.0, 0 }, new[] { 0.0, 1 })]
    [TestCase(new[] { 1000.0, 1000 }, new[] { 0.5, 0.5 })]
    public void Forward_LargeLogits_StayFinite(double[] logits, double[] expected)
    {
        Assert.That(Ops.Softmax(Tensor.FromArray(logits), 0).ToDoubleArray(), Is.EqualTo(expected).Within(1e-12));
        Assert.That(Ops.Softmax(Tensor.FromArray(logits, logits.Length, 1), 0).ToDoubleArray(), Is.EqualTo(expected).Within(1e-12));
        var f32 = Ops.Softmax(Tensor.FromArray(logits.Select(v => (float)v).ToArray()), 0).ToDoubleArray();
        Assert.That(f32, Is.EqualTo(expected).Within(1e-6));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(-1)]
    public void Backward_MatchesCentralDifferences_Float64(int dim) =>
        GradCheck.Assert(xs => Ops.Softmax(xs[0], dim), new[] { Leaf(4, 2, 3, 4) }, "Softmax");

    [Test]
    public void Backward_CreateGraph_MatchesCentralDifferences() =>
        GradCheck.AssertSecondOrder(t => (Ops.Softmax(t[0], 1) * t[0]).Sum(), [Leaf(5, 2, 3)], "Softmax");

    [TestCase(2)]
    [TestCase(-3)]
    public void Throws_WhenDimOutOfRange(int dim) =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Softmax(Tensor.Zeros(2, 3), dim), "Softmax", "[2, 3]");
}
