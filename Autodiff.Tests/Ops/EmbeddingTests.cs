using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Embedding (Ops/Embedding.cs): torch.nn.functional.embedding.</summary>
public class EmbeddingTests
{
    private static Tensor Table() => Tensor.FromArray(new[] { 0.0, 1, 2, 3, 4, 5 }, 3, 2);   // rows [0, 1], [2, 3], [4, 5]

    [Test]
    public void Forward_LooksUpRows()
    {
        var y = Ops.Embedding([2, 0, 2], Table());
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 3, 2 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 4.0, 5, 0, 1, 4, 5 }));
    }

    [Test]
    public void Forward_KeepsTheIndexShape()
    {
        var y = Ops.Embedding([1, 2, 0, 1], [2, 2], Table());
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 2, 2 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 2.0, 3, 4, 5, 0, 1, 2, 3 }));
    }

    [Test]
    public void Backward_ScatterAddsRows_RepeatsAccumulate()
    {
        var w = Table().RequireGrad();
        Ops.Embedding([2, 0, 2], w).Sum().Backward();
        Assert.That(w.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 1, 0, 0, 2, 2 }));
    }

    [Test]
    public void Backward_PaddingRowGetsNoGradient()
    {
        var w = Table().RequireGrad();
        Ops.Embedding([2, 0, 2], w, paddingIdx: -1).Sum().Backward();
        Assert.That(w.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 1, 0, 0, 0, 0 }));
    }

    [Test]
    public void Backward_MatchesCentralDifferences() =>
        GradCheck.Assert(t => Ops.Embedding([3, 1, 3, 0, 2, 1], [2, 3], t[0]).Tanh(), [Leaf(1, 4, 3)], "Embedding");

    [Test]
    public void Backward_CreateGraph_MatchesCentralDifferences() =>
        GradCheck.AssertSecondOrder(t => Ops.Embedding([3, 1, 3, 0], [2, 2], t[0] * t[0], paddingIdx: 1), [Leaf(2, 4, 3)], "Embedding");

    [Test]
    public void Backward_ThirdOrder_MatchesCentralDifferences() =>
        // EmbeddingBackward scatters rows (not the padding row); its backward reads them back with zeros there.
        GradCheck.AssertSecondOrder(t => Autograd.Grad([Ops.Pow(Ops.Embedding([3, 1, 3, 0], [2, 2], t[0], paddingIdx: 1), 4).Sum()],
            [t[0]], createGraph: true)[0]!, [Leaf(3, 4, 3)], "Embedding (third order)");

    [Test]
    public void Embedding_ThrowsForIndexOutOfRange() =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Embedding([0, 3], Table()), "Embedding", "index 3", "[3, 2]");

    [Test]
    public void Embedding_ThrowsWhenIndicesDoNotFillTheShape() =>
        AssertThrows<ArgumentException>(() => Ops.Embedding([0, 1, 2], [2, 2], Table()), "Embedding", "3 indices", "[2, 2]");

    [Test]
    public void Embedding_ThrowsForWeightNotMatrix() =>
        AssertThrows<ArgumentException>(() => Ops.Embedding([0], Tensor.Zeros(3)), "Embedding", "weight", "[3]");

    [Test]
    public void Embedding_ThrowsForPaddingIdxOutOfRange() =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Embedding([0], Table(), paddingIdx: 3), "Embedding", "paddingIdx 3");
}
