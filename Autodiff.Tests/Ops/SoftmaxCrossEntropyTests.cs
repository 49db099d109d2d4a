using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.SoftmaxCrossEntropy (Ops/SoftmaxCrossEntropy.cs): per-row losses of the fused softmax-with-loss.</summary>
public class SoftmaxCrossEntropyTests
{
    // Row 0: softmax([0, ln 2, 0]) = [1/4, 1/2, 1/4]; row 1: softmax([1, 1, 1]) = [1/3, 1/3, 1/3].
    private static Tensor Logits() => Tensor.FromArray(new[] { 0.0, Math.Log(2), 0, 1, 1, 1 }, 2, 3);

    [Test]
    public void Forward_GivesNegativeLogProbabilityOfTargetPerRow()
    {
        var losses = Ops.SoftmaxCrossEntropy(Logits(), new[] { 1, 2 });    // [-ln(1/2), -ln(1/3)]
        Assert.That(losses.Shape.ToArray(), Is.EqualTo(new[] { 2 }));
        Assert.That(losses.ToDoubleArray(), Is.EqualTo(new[] { Math.Log(2), Math.Log(3) }).Within(1e-12));
    }

    [Test]
    public void Forward_MatchesNegatedLogSoftmaxAtTargets()
    {
        var logits = Tensor.Randn(new[] { 4, 5 }, 21, DType.Float64) * 3.0;
        int[] targets = [4, 0, 2, 2];
        var losses = Ops.SoftmaxCrossEntropy(logits, targets).ToDoubleArray();
        var logp = Ops.LogSoftmax(logits, 1);
        for (int n = 0; n < 4; n++) Assert.That(losses[n], Is.EqualTo(-logp[n, targets[n]]).Within(1e-12));
    }

    [TestCase(1, 1000.0)]                                            // F.cross_entropy(tensor([[1000., 0]]), tensor([1]))
    [TestCase(0, 0.0)]
    public void Forward_LargeLogits_StayFinite(int target, double expected)
    {
        var losses = Ops.SoftmaxCrossEntropy(Tensor.FromArray(new[] { 1000.0, 0 }, 1, 2), new[] { target });
        Assert.That(losses.ItemDouble(), Is.EqualTo(expected).Within(1e-12));
        var f32 = Ops.SoftmaxCrossEntropy(Tensor.FromArray(new[] { 1000f, 0f }, 1, 2), new[] { target });
        Assert.That(f32.ItemDouble(), Is.EqualTo(expected).Within(1e-12));
    }

    [TestCase(1000f)]
    [TestCase(-1000f)]
    public void Forward_LargeEqualLogits_KeepFloat32Precision(float logit)
    {
        // F.cross_entropy(torch.full((1, 2), 1000.), tensor([0])) = ln 2 = 0.6931472 in float32
        var losses = Ops.SoftmaxCrossEntropy(Tensor.FromArray(new[] { logit, logit }, 1, 2), new[] { 0 });
        Assert.That(losses.ItemDouble(), Is.EqualTo(Math.Log(2)).Within(1e-6));
    }

    [Test]
    public void Forward_Float32_MatchesFloat64()
    {
        var x64 = Tensor.Randn(new[] { 3, 4 }, 22, DType.Float64);
        int[] targets = [3, 1, 0];
        var f32 = Ops.SoftmaxCrossEntropy(x64.To(DType.Float32), targets).ToDoubleArray();
        Assert.That(f32, Is.EqualTo(Ops.SoftmaxCrossEntropy(x64, targets).ToDoubleArray()).Within(1e-5));
    }

    [Test]
    public void Backward_GradientIsSoftmaxMinusOneHotTimesG()
    {
        var x = Logits().RequireGrad();
        Ops.SoftmaxCrossEntropy(x, new[] { 1, 2 }).Backward(Tensor.FromArray(new[] { 2.0, -1 }));
        // row 0: 2·([1/4, 1/2, 1/4] - [0, 1, 0]); row 1: -1·([1/3, 1/3, 1/3] - [0, 0, 1])
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.5, -1, 0.5, -1.0 / 3, -1.0 / 3, 2.0 / 3 }).Within(1e-12));
    }

    [Test]
    public void Backward_UsesTargetsAsTheyWereAtForward()
    {
        var x = Logits().RequireGrad();
        var targets = new[] { 1, 2 };
        var losses = Ops.SoftmaxCrossEntropy(x, targets);
        targets[0] = 0;
        targets[1] = 0;
        losses.Sum().Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.25, -0.5, 0.25, 1.0 / 3, 1.0 / 3, -2.0 / 3 }).Within(1e-12));
    }

    [TestCase(3, 4, new[] { 0, 3, 1 })]
    [TestCase(1, 2, new[] { 1 })]
    [TestCase(5, 1, new[] { 0, 0, 0, 0, 0 })]
    [TestCase(2, 6, new[] { 5, 5 })]
    public void Backward_MatchesCentralDifferences_Float64(int n, int c, int[] targets) =>
        GradCheck.Assert(xs => Ops.SoftmaxCrossEntropy(xs[0], targets),
            new[] { Tensor.Randn(new[] { n, c }, 23, DType.Float64).RequireGrad() }, "SoftmaxCrossEntropy");

    [Test]
    public void Backward_CreateGraph_MatchesCentralDifferences() =>
        // The loss is weighted by x itself, so the gradient dy of each row's loss depends on x too.
        GradCheck.AssertSecondOrder(t => (Ops.SoftmaxCrossEntropy(t[0], [2, 0, 1]) * Ops.Tanh(t[0].Sum(1))).Sum(),
            [Leaf(24, 3, 3)], "SoftmaxCrossEntropy (weighted)");

    [Test]
    public void ThirdOrder_TheBackwardOpsOwnDerivatives_MatchCentralDifferences() =>
        // The function checked is itself a gradient built with createGraph: SoftmaxCrossEntropyBackward is differentiated twice.
        GradCheck.AssertSecondOrder(t =>
        {
            var losses = Ops.SoftmaxCrossEntropy(t[0], [2, 0, 1]);
            return Autograd.Grad([(losses * losses).Sum()], [t[0]], createGraph: true)[0]!;
        }, [Leaf(25, 3, 3)], "SoftmaxCrossEntropy (third order)");

    // ---- weight, ignoreIndex, labelSmoothing ----------------------------------------------------------------------

    [Test]
    public void Forward_WithOptions_MatchesPyTorchFormulaPerRow()
    {
        // F.cross_entropy(x, t, weight=w, ignore_index=3, label_smoothing=0.2, reduction='none'), written out:
        // loss[n] = 0.8·w[t]·(-log p[t]) + (0.2/4)·Σ_c w[c]·(-log p[c]), 0 where t = 3.
        var x = Tensor.Randn(new[] { 3, 4 }, 26, DType.Float64) * 2.0;
        double[] w = [0.5, 1, 2, 4];
        int[] t = [2, 3, 0];
        var losses = Ops.SoftmaxCrossEntropy(x, t, Tensor.FromArray(w), ignoreIndex: 3, labelSmoothing: 0.2).ToDoubleArray();
        var logp = Ops.LogSoftmax(x, 1);
        for (int n = 0; n < 3; n++)
        {
            double smooth = 0;
            for (int c = 0; c < 4; c++) smooth -= w[c] * logp[n, c];
            double expected = t[n] == 3 ? 0 : 0.8 * w[t[n]] * -logp[n, t[n]] + 0.2 / 4 * smooth;
            Assert.That(losses[n], Is.EqualTo(expected).Within(1e-12));
        }
    }

    [Test]
    public void DefaultOverload_IgnoresTargetMinus100_AsPyTorch()
    {
        // F.cross_entropy(logits, tensor([1, -100]), reduction='none') = [ln 2, 0]
        var x = Logits().RequireGrad();
        var losses = Ops.SoftmaxCrossEntropy(x, new[] { 1, -100 });
        Assert.That(losses.ToDoubleArray(), Is.EqualTo(new[] { Math.Log(2), 0 }).Within(1e-12));
        losses.Sum().Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.25, -0.5, 0.25, 0, 0, 0 }).Within(1e-12));
    }

    [TestCase(double.PositiveInfinity)]
    [TestCase(double.NaN)]
    public void Backward_IgnoredRows_GetExactZeros_WhateverTheirUpstreamGradient(double upstream)
    {
        var x = Logits().RequireGrad();
        Ops.SoftmaxCrossEntropy(x, new[] { 5, 2 }, null, ignoreIndex: 5, labelSmoothing: 0.1).Backward(Tensor.FromArray(new[] { upstream, 1 }));
        Assert.That(x.Grad!.ToDoubleArray().Take(3), Is.All.EqualTo(0.0));
    }

    [TestCase(false, 0.0)]
    [TestCase(true, 0.0)]
    [TestCase(false, 0.25)]
    [TestCase(true, 0.25)]
    public void Backward_WithOptions_MatchesCentralDifferences_Float64(bool weighted, double eps) =>
        GradCheck.Assert(xs => Ops.SoftmaxCrossEntropy(xs[0], [2, 7, 0, 3], weighted ? Tensor.FromArray(new[] { 0.5, 1, 2, 4 }) : null, 7, eps),
            new[] { Leaf(27, 4, 4) }, "SoftmaxCrossEntropy (options)");

    [Test]
    public void Backward_WithOptions_CreateGraph_MatchesCentralDifferences() =>
        GradCheck.AssertSecondOrder(t => (Ops.SoftmaxCrossEntropy(t[0], [2, -100, 1], Tensor.FromArray(new[] { 0.5, 2, 3 }), labelSmoothing: 0.3)
            * Ops.Tanh(t[0].Sum(1))).Sum(), [Leaf(28, 3, 3)], "SoftmaxCrossEntropy (options, weighted)");

    [Test]
    public void ThirdOrder_WithOptions_MatchesCentralDifferences() =>
        GradCheck.AssertSecondOrder(t =>
        {
            var losses = Ops.SoftmaxCrossEntropy(t[0], [2, -100, 1], Tensor.FromArray(new[] { 0.5, 2, 3 }), labelSmoothing: 0.3);
            return Autograd.Grad([(losses * losses).Sum()], [t[0]], createGraph: true)[0]!;
        }, [Leaf(29, 3, 3)], "SoftmaxCrossEntropy (options, third order)");

    [Test]
    public void Backward_UsesWeightsAsTheyWereAtForward()
    {
        var x = Logits().RequireGrad();
        var w = Tensor.FromArray(new[] { 1.0, 2, 3 });
        var losses = Ops.SoftmaxCrossEntropy(x, new[] { 1, 2 }, w);
        w.Data<double>().Fill(0);
        losses.Sum().Backward();
        // row 0: 2·([1/4, 1/2, 1/4] - [0, 1, 0]); row 1: 3·([1/3, 1/3, 1/3] - [0, 0, 1])
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.5, -1, 0.5, 1, 1, -2 }).Within(1e-12));
    }

    [Test]
    public void Throws_WhenOptionsAreInvalid()
    {
        AssertThrows<ArgumentException>(() => Ops.SoftmaxCrossEntropy(Tensor.Zeros(2, 3), new[] { 0, 1 }, Tensor.Ones(4)),
            "SoftmaxCrossEntropy", "weight", "[3]", "[4]");
        AssertThrows<ArgumentException>(() => Ops.SoftmaxCrossEntropy(Tensor.Zeros(2, 3), new[] { 0, 1 }, null, labelSmoothing: 2),
            "SoftmaxCrossEntropy", "labelSmoothing", "got 2");
        AssertThrows<ArgumentException>(() => Ops.SoftmaxCrossEntropy(Tensor.Zeros(2, 3), new[] { 0, -100 }, null, ignoreIndex: 1),
            "SoftmaxCrossEntropy", "target -100", "position 1", "[2, 3]");
    }

    [TestCase(new[] { 0, 3 })]
    [TestCase(new[] { -1, 0 })]
    [TestCase(new[] { 0, int.MaxValue })]
    public void Throws_WhenTargetOutOfRange(int[] targets) =>
        AssertThrows<ArgumentException>(() => Ops.SoftmaxCrossEntropy(Tensor.Zeros(2, 3), targets), "SoftmaxCrossEntropy", "[2, 3]");

    [TestCase(1)]
    [TestCase(3)]
    [TestCase(0)]
    public void Throws_WhenTargetCountDiffersFromRows(int count) =>
        AssertThrows<ArgumentException>(() => Ops.SoftmaxCrossEntropy(Tensor.Zeros(2, 3), new int[count]), "SoftmaxCrossEntropy", "[2, 3]", $"{count} entries");

    [Test]
    public void Throws_WhenLogitsAreNot2D()
    {
        AssertThrows<ArgumentException>(() => Ops.SoftmaxCrossEntropy(Tensor.Zeros(3), new[] { 0, 1, 2 }), "SoftmaxCrossEntropy", "[3]");
        AssertThrows<ArgumentException>(() => Ops.SoftmaxCrossEntropy(Tensor.Zeros(1, 2, 3), new[] { 0 }), "SoftmaxCrossEntropy", "[1, 2, 3]");
    }
}
