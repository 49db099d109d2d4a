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

    [TestCase(new[] { 2, 3, 4, 5 }, 1)]       // strided rows, positions in a partial vector
    [TestCase(new[] { 2, 3, 4, 5 }, 2)]
    [TestCase(new[] { 1, 3, 130 }, 1)]        // positions spanning two blocks of the strided kernel
    [TestCase(new[] { 3, 19 }, -1)]           // contiguous rows with a tail
    public void Backward_InnerDimsAndTails_MatchCentralDifferences_Float64(int[] shape, int dim) =>
        GradCheck.Assert(xs => Ops.Softmax(xs[0], dim), new[] { Leaf(6, shape) }, "Softmax");

    [TestCase(1)]
    [TestCase(-1)]
    public void Forward_Float32_MatchesFloat64_OnInnerDimsAndTails(int dim)
    {
        var x64 = Tensor.Randn([2, 19, 11], 13, DType.Float64) * 4.0;
        Assert.That(Ops.Softmax(x64.To(DType.Float32), dim).ToDoubleArray(), Is.EqualTo(Ops.Softmax(x64, dim).ToDoubleArray()).Within(1e-6));
    }

    [Test]
    public void Forward_IsOnePrimitive_WithItsOwnBackwardOp()
    {
        var x = Leaf(7, 2, 3);
        var y = Ops.Softmax(x, 1);
        Assert.That(y.Creator!.Op, Is.EqualTo("Softmax"));
        var g = Autograd.Grad([(y * y).Sum()], [x], createGraph: true)[0]!;
        Assert.That(g.Creator!.Op, Is.EqualTo("SoftmaxBackward"));
    }

    [TestCase(1)]
    [TestCase(-1)]
    public void Backward_CreateGraph_OnInnerDims_MatchesCentralDifferences(int dim) =>
        GradCheck.AssertSecondOrder(t => (Ops.Tanh(Ops.Softmax(t[0], dim)) * t[0]).Sum(), [Leaf(8, 2, 3, 5)], "Softmax (nonlinear loss)");

    [TestCase(1)]
    [TestCase(0)]
    public void ThirdOrder_TheBackwardOpsOwnDerivatives_MatchCentralDifferences(int dim) =>
        // A gradient built with createGraph, differentiated twice more: SoftmaxBackward's rules in dy and in y, twice.
        GradCheck.AssertSecondOrder(t =>
        {
            var y = Ops.Softmax(t[0], dim);
            return Autograd.Grad([(Ops.Tanh(y) * y).Sum()], [t[0]], createGraph: true)[0]!;
        }, [Leaf(9, 3, 4)], "Softmax (third order)");

    [TestCase(2)]
    [TestCase(-3)]
    public void Throws_WhenDimOutOfRange(int dim) =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Softmax(Tensor.Zeros(2, 3), dim), "Softmax", "[2, 3]");
}
