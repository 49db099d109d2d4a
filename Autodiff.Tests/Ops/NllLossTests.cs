using Autodiff;

namespace Autodiff.Tests.Ops;

/// <summary>Autodiff.Ops.NllLoss (Autodiff.Core/Ops/NllLoss.cs): per-row negative log-likelihood of the target class.</summary>
public class NllLossTests
{
    // Log-probabilities of 2 rows over 3 classes (they need not be normalized for the op itself).
    private static Tensor LogProbabilities() => Tensor.FromArray(new[] { -1.2, -0.3, -2.5, -0.7, -0.9, -1.1 }, 2, 3);

    private static Tensor Leaf(long seed, params int[] shape) => Tensor.Randn(shape, seed, DType.Float64).RequireGrad();

    private static void AssertThrows<T>(TestDelegate code, params string[] parts) where T : Exception
    {
        var ex = Assert.Throws<T>(code)!;
        Assert.That(ex.Message, Does.StartWith(parts[0] + ":"));
        foreach (var part in parts) Assert.That(ex.Message, Does.Contain(part));
    }

    [Test]
    public void Forward_NegatesTheTargetEntryOfEachRow()
    {
        // F.nll_loss(tensor([[-1.2, -0.3, -2.5], [-0.7, -0.9, -1.1]]), tensor([1, 0]), reduction='none') = [0.3, 0.7]
        var losses = Autodiff.Ops.NllLoss(LogProbabilities(), new[] { 1, 0 });
        Assert.That(losses.Shape.ToArray(), Is.EqualTo(new[] { 2 }));
        Assert.That(losses.DType, Is.EqualTo(DType.Float64));
        Assert.That(losses.ToDoubleArray(), Is.EqualTo(new[] { 0.3, 0.7 }).Within(1e-12));
    }

    [Test]
    public void Forward_Float32()
    {
        var losses = Autodiff.Ops.NllLoss(Tensor.FromArray(new[] { -1.5f, -0.25f, -3f, -2f }, 2, 2), new[] { 0, 1 });   // [1.5, 2]
        Assert.That(losses.DType, Is.EqualTo(DType.Float32));
        Assert.That(losses.ToArray(), Is.EqualTo(new[] { 1.5f, 2f }));
    }

    [Test]
    public void Forward_OfLogSoftmax_EqualsSoftmaxCrossEntropy()
    {
        var logits = Tensor.Randn(new[] { 4, 5 }, 31, DType.Float64) * 3.0;
        int[] targets = [4, 0, 2, 2];
        var nll = Autodiff.Ops.NllLoss(Autodiff.Ops.LogSoftmax(logits, 1), targets).ToDoubleArray();
        Assert.That(nll, Is.EqualTo(Autodiff.Ops.SoftmaxCrossEntropy(logits, targets).ToDoubleArray()).Within(1e-12));
    }

    [Test]
    public void Backward_PutsMinusUpstreamGradientAtTargets_ZeroElsewhere()
    {
        var x = LogProbabilities().RequireGrad();
        Autodiff.Ops.NllLoss(x, new[] { 1, 0 }).Backward(Tensor.FromArray(new[] { 2.0, -1 }));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, -2, 0, 1, 0, 0 }));
    }

    [Test]
    public void Backward_AccumulatesWhenInputIsUsedTwice()
    {
        var x = LogProbabilities().RequireGrad();
        var losses = Autodiff.Ops.NllLoss(x, new[] { 1, 0 }) + Autodiff.Ops.NllLoss(x, new[] { 1, 2 });
        losses.Sum().Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, -2, 0, -1, 0, -1 }));
    }

    [TestCase(4, 5, new[] { 0, 4, 2, 2 })]
    [TestCase(1, 3, new[] { 1 })]
    [TestCase(3, 1, new[] { 0, 0, 0 })]
    public void Backward_MatchesCentralDifferences_Float64(int n, int c, int[] targets) =>
        GradCheck.Assert(xs => Autodiff.Ops.NllLoss(xs[0], targets), new[] { Leaf(1, n, c) }, "NllLoss");

    [Test]
    public void Backward_ThroughLogSoftmax_MatchesCentralDifferences_Float64() =>
        GradCheck.Assert(xs => Autodiff.Ops.NllLoss(Autodiff.Ops.LogSoftmax(xs[0], 1), new[] { 2, 0, 1 }), new[] { Leaf(2, 3, 4) }, "NllLoss");

    [Test]
    public void ThirdOrder_TheBackwardOpsOwnDerivatives_MatchCentralDifferences() =>
        // The function checked is itself a gradient built with createGraph: NllLossBackward (and LogSoftmaxBackward) are
        // differentiated twice; NllLoss and its backward are each other's adjoint.
        GradCheck.AssertSecondOrder(t =>
        {
            var losses = Autodiff.Ops.NllLoss(Autodiff.Ops.LogSoftmax(t[0], 1), [2, 0, 1]);
            return Autograd.Grad([(losses * losses).Sum()], [t[0]], createGraph: true)[0]!;
        }, [Leaf(3, 3, 4)], "NllLoss (third order)");

    // ---- weight, ignoreIndex --------------------------------------------------------------------------------------

    [Test]
    public void Forward_WithWeightAndIgnoreIndex_ScalesByTheTargetsWeight_AndZeroesIgnoredRows()
    {
        // F.nll_loss(tensor([[-1.2, -0.3, -2.5], [-0.7, -0.9, -1.1]]), tensor([1, -100]), weight=tensor([1., 4, 2]),
        //   reduction='none') = [4·0.3, 0]
        var x = LogProbabilities().RequireGrad();
        var losses = Autodiff.Ops.NllLoss(x, new[] { 1, -100 }, Tensor.FromArray(new[] { 1.0, 4, 2 }));
        Assert.That(losses.ToDoubleArray(), Is.EqualTo(new[] { 1.2, 0 }).Within(1e-12));
        losses.Backward(Tensor.FromArray(new[] { 2.0, double.NaN }));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, -8, 0, 0, 0, 0 }));
    }

    [Test]
    public void DefaultOverload_IgnoresTargetMinus100_AsPyTorch() =>
        Assert.That(Autodiff.Ops.NllLoss(LogProbabilities(), new[] { -100, 0 }).ToDoubleArray(), Is.EqualTo(new[] { 0, 0.7 }).Within(1e-12));

    [Test]
    public void Backward_WithWeightAndIgnoreIndex_MatchesCentralDifferences_Float64() =>
        GradCheck.Assert(xs => Autodiff.Ops.NllLoss(xs[0], new[] { 0, 4, 2, 2 }, Tensor.FromArray(new[] { 0.5, 1, 2, 3, 4 }), ignoreIndex: 4),
            new[] { Leaf(4, 4, 5) }, "NllLoss (options)");

    [Test]
    public void ThirdOrder_WithWeightAndIgnoreIndex_MatchesCentralDifferences() =>
        GradCheck.AssertSecondOrder(t =>
        {
            var losses = Autodiff.Ops.NllLoss(Autodiff.Ops.LogSoftmax(t[0], 1), [2, 0, 1], Tensor.FromArray(new[] { 0.5, 2, 3, 1 }), ignoreIndex: 0);
            return Autograd.Grad([(losses * losses).Sum()], [t[0]], createGraph: true)[0]!;
        }, [Leaf(5, 3, 4)], "NllLoss (options, third order)");

    [TestCase(new[] { 6 })]
    [TestCase(new[] { 2, 3, 1 })]
    public void Throws_WhenInputIsNot2D(int[] shape) =>
        AssertThrows<ArgumentException>(() => Autodiff.Ops.NllLoss(Tensor.Zeros(shape), new[] { 0, 0 }),
            "NllLoss", "rank 2", "[" + string.Join(", ", shape) + "]");

    [Test]
    public void Throws_WhenTargetCountDiffersFromRows() =>
        AssertThrows<ArgumentException>(() => Autodiff.Ops.NllLoss(Tensor.Zeros(2, 3), new[] { 0, 1, 2 }), "NllLoss", "[2, 3]", "3 entries");

    [TestCase(3)]
    [TestCase(-1)]
    public void Throws_WhenTargetOutOfRange(int bad) =>
        AssertThrows<ArgumentException>(() => Autodiff.Ops.NllLoss(Tensor.Zeros(2, 3), new[] { 0, bad }),
            "NllLoss", $"target {bad}", "position 1", "3 classes", "[2, 3]");
}
