using Autodiff;
using Autodiff.NN;

namespace Autodiff.Tests.NN;

/// <summary>The loss classes of Autodiff.NN/Losses/Losses.cs with each <see cref="Reduction"/>.</summary>
public class LossesTests
{
    private static readonly Reduction[] Reductions = [Reduction.Mean, Reduction.Sum, Reduction.None];

    // Row 0: softmax([0, ln 2, 0]) = [1/4, 1/2, 1/4]; row 1: softmax([1, 1, 1]) = [1/3, 1/3, 1/3].
    private static Tensor Logits() => Tensor.FromArray(new[] { 0.0, Math.Log(2), 0, 1, 1, 1 }, 2, 3);

    private static Tensor LogProbabilities() => Tensor.FromArray(new[] { -1.2, -0.3, -2.5, -0.7, -0.9, -1.1 }, 2, 3);

    // MSE / L1 fixture: differences [0, 2, -2, -0.5].
    private static Tensor Input() => Tensor.FromArray(new[] { 1.0, 2, 3, -1 }, 2, 2);

    private static Tensor Target() => Tensor.FromArray(new[] { 1.0, 0, 5, -0.5 }, 2, 2);

    private static Tensor Leaf(long seed, params int[] shape) => Tensor.Randn(shape, seed, DType.Float64).RequireGrad();

    /// <summary>Checks a loss against its per-element values: shape and values of None, the sum and the mean as scalars.</summary>
    private static void AssertReduced(Tensor loss, Reduction reduction, double[] perElement, int[] noneShape)
    {
        switch (reduction)
        {
            case Reduction.None:
                Assert.That(loss.Shape.ToArray(), Is.EqualTo(noneShape));
                Assert.That(loss.ToDoubleArray(), Is.EqualTo(perElement).Within(1e-12));
                break;
            case Reduction.Sum:
                Assert.That(loss.Shape.ToArray(), Is.Empty);
                Assert.That(loss.ItemDouble(), Is.EqualTo(perElement.Sum()).Within(1e-12));
                break;
            default:
                Assert.That(loss.Shape.ToArray(), Is.Empty);
                Assert.That(loss.ItemDouble(), Is.EqualTo(perElement.Average()).Within(1e-12));
                break;
        }
    }

    // ---- CrossEntropyLoss -----------------------------------------------------------------------------------

    [TestCaseSource(nameof(Reductions))]
    public void CrossEntropyLoss_Forward_MatchesHandValues(Reduction reduction)
    {
        // F.cross_entropy(logits, tensor([1, 2]), reduction='none') = [ln 2, ln 3]
        var criterion = new CrossEntropyLoss(reduction);
        Assert.That(criterion.Reduction, Is.EqualTo(reduction));
        AssertReduced(criterion.Forward(Logits(), new[] { 1, 2 }), reduction, new[] { Math.Log(2), Math.Log(3) }, new[] { 2 });
    }

    [Test]
    public void CrossEntropyLoss_DefaultReduction_IsMean() =>
        Assert.That(new CrossEntropyLoss().Forward(Logits(), new[] { 1, 2 }).ItemDouble(), Is.EqualTo(Math.Log(6) / 2).Within(1e-12));

    [TestCaseSource(nameof(Reductions))]
    public void CrossEntropyLoss_Backward_MatchesCentralDifferences_Float64(Reduction reduction) =>
        GradCheck.Assert(xs => new CrossEntropyLoss(reduction).Forward(xs[0], new[] { 0, 4, 2, 2 }), new[] { Leaf(1, 4, 5) }, "CrossEntropyLoss");

    [Test]
    public void CrossEntropyLoss_SumBackward_IsSoftmaxMinusOneHot()
    {
        var x = Logits().RequireGrad();
        new CrossEntropyLoss(Reduction.Sum).Forward(x, new[] { 1, 2 }).Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.25, -0.5, 0.25, 1.0 / 3, 1.0 / 3, -2.0 / 3 }).Within(1e-12));
    }

    // ---- NllLoss --------------------------------------------------------------------------------------------

    [TestCaseSource(nameof(Reductions))]
    public void NllLoss_Forward_MatchesHandValues(Reduction reduction)
    {
        // F.nll_loss(tensor([[-1.2, -0.3, -2.5], [-0.7, -0.9, -1.1]]), tensor([1, 0]), reduction='none') = [0.3, 0.7]
        var criterion = new NllLoss(reduction);
        Assert.That(criterion.Reduction, Is.EqualTo(reduction));
        AssertReduced(criterion.Forward(LogProbabilities(), new[] { 1, 0 }), reduction, new[] { 0.3, 0.7 }, new[] { 2 });
    }

    [TestCaseSource(nameof(Reductions))]
    public void NllLoss_Backward_MatchesCentralDifferences_Float64(Reduction reduction) =>
        GradCheck.Assert(xs => new NllLoss(reduction).Forward(xs[0], new[] { 0, 4, 2, 2 }), new[] { Leaf(2, 4, 5) }, "NllLoss");

    [TestCaseSource(nameof(Reductions))]
    public void NllLoss_OfLogSoftmax_EqualsCrossEntropy_ValuesAndGradients(Reduction reduction)
    {
        int[] targets = [3, 0, 1, 3, 2];
        var a = (Tensor.Randn(new[] { 5, 4 }, 3, DType.Float64) * 4.0).Detach().RequireGrad();
        var b = Tensor.FromArray(a.ToDoubleArray(), 5, 4).RequireGrad();
        var nll = new NllLoss(reduction).Forward(a.LogSoftmax(1), targets);
        var ce = new CrossEntropyLoss(reduction).Forward(b, targets);
        Assert.That(nll.Shape, Is.EqualTo(ce.Shape));
        Assert.That(nll.ToDoubleArray(), Is.EqualTo(ce.ToDoubleArray()).Within(1e-12));
        nll.Backward(Tensor.Rand(nll.Shape.ToArray(), 4, DType.Float64));
        ce.Backward(Tensor.Rand(ce.Shape.ToArray(), 4, DType.Float64));
        Assert.That(a.Grad!.ToDoubleArray(), Is.EqualTo(b.Grad!.ToDoubleArray()).Within(1e-12));
    }

    [Test]
    public void NllLoss_Throws_WhenTargetOutOfRange()
    {
        var ex = Assert.Throws<ArgumentException>(() => new NllLoss().Forward(Tensor.Zeros(2, 3), new[] { 0, 5 }))!;
        Assert.That(ex.Message, Does.StartWith("NllLoss:").And.Contain("[2, 3]").And.Contain("target 5"));
    }

    // ---- CrossEntropy / NllLoss options: weight, ignoreIndex, labelSmoothing -------------------------------------

    /// <summary>PyTorch's cross_entropy with weight, ignore_index and label_smoothing, written out as its source reads
    /// (LossNLL.cpp, cross_entropy_loss_label_smoothing): <c>logp = log_softmax(x)</c>; <c>nll = nll_loss(logp, t, w,
    /// ignore_index, reduction)</c>; <c>smooth[n] = -Σ_c w[c]·logp[n, c]</c>, 0 where ignored, reduced the same way with the
    /// mean dividing by <c>Σ w[t[n]]</c> over the rows not ignored; result <c>(1 - ε)·nll + (ε/C)·smooth</c>. Each term is
    /// reduced on its own before they are combined, as PyTorch does. With <paramref name="logits"/> false, x is already
    /// log-probabilities and ε = 0: nll_loss itself.</summary>
    private static double[] PyTorchClassLoss(double[] x, int n, int c, int[] t, double[]? w, int ignore, double eps, Reduction reduction,
        bool logits = true)
    {
        var logp = new double[n * c];
        for (int r = 0; r < n; r++)
        {
            double m = double.NegativeInfinity;
            for (int k = 0; k < c; k++) m = Math.Max(m, x[r * c + k]);
            double lse = 0;
            for (int k = 0; k < c; k++) lse += Math.Exp(x[r * c + k] - m);
            lse = m + Math.Log(lse);
            for (int k = 0; k < c; k++) logp[r * c + k] = logits ? x[r * c + k] - lse : x[r * c + k];
        }
        double W(int k) => w is null ? 1 : w[k];
        var nll = new double[n];
        var smooth = new double[n];
        double total = 0;
        for (int r = 0; r < n; r++)
        {
            if (t[r] == ignore) continue;
            nll[r] = -W(t[r]) * logp[r * c + t[r]];
            for (int k = 0; k < c; k++) smooth[r] -= W(k) * logp[r * c + k];
            total += W(t[r]);
        }
        double[] Reduced(double[] v) => reduction switch
        {
            Reduction.None => v,
            Reduction.Sum => [v.Sum()],
            _ => [v.Sum() / total],
        };
        var a = Reduced(nll);
        var b = Reduced(smooth);
        return a.Select((v, i) => (1 - eps) * v + eps / c * b[i]).ToArray();
    }

    private static void AssertClassLoss(Tensor loss, double[] expected, Reduction reduction, int n, double tolerance = 1e-12)
    {
        Assert.That(loss.Shape.ToArray(), Is.EqualTo(reduction == Reduction.None ? new[] { n } : Array.Empty<int>()));
        Assert.That(loss.ToDoubleArray(), Is.EqualTo(expected).Within(tolerance));
    }

    private static readonly int[] OptionTargets = [2, -100, 0, 4, 4, 1];     // one row ignored by PyTorch's default index

    private static double[] OptionWeight => [0.5, 2, 1.5, 0.25, 3];

    private static IEnumerable<TestCaseData> OptionCases()
    {
        foreach (var reduction in Reductions)
        {
            yield return new TestCaseData(reduction, false, 0.0).SetArgDisplayNames($"{reduction}", "no weight", "ε 0");
            yield return new TestCaseData(reduction, true, 0.0).SetArgDisplayNames($"{reduction}", "weight", "ε 0");
            yield return new TestCaseData(reduction, false, 0.2).SetArgDisplayNames($"{reduction}", "no weight", "ε 0.2");
            yield return new TestCaseData(reduction, true, 0.3).SetArgDisplayNames($"{reduction}", "weight", "ε 0.3");
        }
    }

    [TestCaseSource(nameof(OptionCases))]
    public void CrossEntropy_Options_Forward_MatchesPyTorchFormula(Reduction reduction, bool weighted, double eps)
    {
        var x = Tensor.Randn(new[] { 6, 5 }, 40, DType.Float64) * 2.0;
        var w = weighted ? Tensor.FromArray(OptionWeight) : null;
        var loss = Functional.CrossEntropy(x, OptionTargets, reduction, w, labelSmoothing: eps);
        AssertClassLoss(loss, PyTorchClassLoss(x.ToDoubleArray(), 6, 5, OptionTargets, weighted ? OptionWeight : null, -100, eps, reduction),
            reduction, 6);
        var criterion = new CrossEntropyLoss(reduction, w, labelSmoothing: eps);
        Assert.That(criterion.Forward(x, OptionTargets).ToDoubleArray(), Is.EqualTo(loss.ToDoubleArray()));
    }

    [TestCaseSource(nameof(OptionCases))]
    public void CrossEntropy_Options_Backward_MatchesCentralDifferences_Float64(Reduction reduction, bool weighted, double eps)
    {
        var w = weighted ? Tensor.FromArray(OptionWeight) : null;
        GradCheck.Assert(xs => new CrossEntropyLoss(reduction, w, labelSmoothing: eps).Forward(xs[0], OptionTargets), new[] { Leaf(41, 6, 5) },
            "CrossEntropyLoss (options)");
    }

    [Test]
    public void CrossEntropy_WeightedMean_DividesByTheTargetsWeights()
    {
        // F.cross_entropy(logits, tensor([1, 2]), weight=tensor([1., 2, 3])) = (2·ln 2 + 3·ln 3) / (2 + 3)
        var w = Tensor.FromArray(new[] { 1.0, 2, 3 });
        Assert.That(Functional.CrossEntropy(Logits(), [1, 2], weight: w).ItemDouble(),
            Is.EqualTo((2 * Math.Log(2) + 3 * Math.Log(3)) / 5).Within(1e-12));
        Assert.That(Functional.CrossEntropy(Logits(), [1, 2], Reduction.None, w).ToDoubleArray(),
            Is.EqualTo(new[] { 2 * Math.Log(2), 3 * Math.Log(3) }).Within(1e-12));
    }

    [TestCase(0.0)]
    [TestCase(0.1)]
    [TestCase(1.0)]
    public void CrossEntropy_LabelSmoothing_MatchesHandValues(double eps)
    {
        // Row 0: -log p = [ln 4, ln 2, ln 4], so (1 - ε)·ln 2 + (ε/3)·5 ln 2; row 1 is uniform: ln 3 for any ε.
        var loss = Functional.CrossEntropy(Logits(), [1, 2], Reduction.None, labelSmoothing: eps);
        Assert.That(loss.ToDoubleArray(), Is.EqualTo(new[] { (1 - eps) * Math.Log(2) + eps / 3 * 5 * Math.Log(2), Math.Log(3) }).Within(1e-12));
    }

    [Test]
    public void CrossEntropy_LabelSmoothing_SumBackward_IsSoftmaxMinusSmoothedTarget()
    {
        // ε = 0.3 over 3 classes: q = 0.7·onehot(t) + 0.1, so dx = softmax(x) - q.
        var x = Logits().RequireGrad();
        Functional.CrossEntropy(x, [1, 2], Reduction.Sum, labelSmoothing: 0.3).Backward();
        Assert.That(x.Grad!.ToDoubleArray(),
            Is.EqualTo(new[] { 0.15, -0.3, 0.15, 1.0 / 3 - 0.1, 1.0 / 3 - 0.1, 1.0 / 3 - 0.8 }).Within(1e-12));
    }

    [TestCase(-100)]
    [TestCase(1)]
    [TestCase(7)]
    public void CrossEntropy_IgnoredRows_GiveZeroLossAndZeroGradient_AndLeaveTheMean(int ignoreIndex)
    {
        // Rows 1 and 3 hold the ignored index; the mean is over rows 0 and 2 only (PyTorch: loss.sum() / 2 here).
        int[] targets = [0, ignoreIndex, 2, ignoreIndex];
        var x = (Tensor.Randn(new[] { 4, 3 }, 42, DType.Float64) * 2.0).Detach().RequireGrad();
        var none = Functional.CrossEntropy(x, targets, Reduction.None, ignoreIndex: ignoreIndex, labelSmoothing: 0.1);
        Assert.That(none[1], Is.EqualTo(0.0));
        Assert.That(none[3], Is.EqualTo(0.0));
        var mean = new CrossEntropyLoss(ignoreIndex: ignoreIndex, labelSmoothing: 0.1).Forward(x, targets);
        Assert.That(mean.ItemDouble(), Is.EqualTo((none[0] + none[2]) / 2).Within(1e-12));
        mean.Backward();
        for (int k = 0; k < 3; k++)
        {
            Assert.That(x.Grad![1, k], Is.EqualTo(0.0));
            Assert.That(x.Grad![3, k], Is.EqualTo(0.0));
        }
    }

    [Test]
    public void CrossEntropy_DefaultIgnoreIndex_IsMinus100_AsPyTorch()
    {
        // F.cross_entropy(logits, tensor([1, -100])) = ln 2 (the second row is ignored, so the mean is over one row)
        Assert.That(Functional.CrossEntropy(Logits(), [1, -100]).ItemDouble(), Is.EqualTo(Math.Log(2)).Within(1e-12));
        Assert.That(new CrossEntropyLoss().IgnoreIndex, Is.EqualTo(-100));
        Assert.That(new NllLoss().IgnoreIndex, Is.EqualTo(-100));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void AllTargetsIgnored_MeanIsNaN_GradientIsZero_AsPyTorch(bool nll)
    {
        // F.cross_entropy(x, tensor([-100, -100])) = nan, and x.grad is zeros after backward.
        var x = Logits().RequireGrad();
        var loss = nll ? Functional.NllLoss(x.LogSoftmax(1), [-100, -100]) : Functional.CrossEntropy(x, [-100, -100], labelSmoothing: 0.2);
        Assert.That(loss.ItemDouble(), Is.NaN);
        loss.Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.All.EqualTo(0.0));
        Assert.That(Functional.CrossEntropy(Logits(), [-100, -100], Reduction.Sum).ItemDouble(), Is.EqualTo(0.0));
    }

    [TestCaseSource(nameof(Reductions))]
    public void NllLoss_WeightAndIgnoreIndex_Forward_MatchesPyTorchFormula(Reduction reduction)
    {
        var x = Tensor.Randn(new[] { 6, 5 }, 43, DType.Float64);
        var loss = new NllLoss(reduction, Tensor.FromArray(OptionWeight), ignoreIndex: 4).Forward(x, OptionTargets.Select(t => t < 0 ? 3 : t).ToArray());
        var expected = PyTorchClassLoss(x.ToDoubleArray(), 6, 5, OptionTargets.Select(t => t < 0 ? 3 : t).ToArray(), OptionWeight, 4, 0, reduction,
            logits: false);
        AssertClassLoss(loss, expected, reduction, 6);
    }

    [TestCaseSource(nameof(Reductions))]
    public void NllLoss_WeightAndIgnoreIndex_Backward_MatchesCentralDifferences_Float64(Reduction reduction) =>
        GradCheck.Assert(xs => Functional.NllLoss(xs[0], OptionTargets, reduction, Tensor.FromArray(OptionWeight)), new[] { Leaf(44, 6, 5) },
            "NllLoss (options)");

    [TestCaseSource(nameof(Reductions))]
    public void NllLoss_OfLogSoftmax_EqualsCrossEntropy_WithWeightAndIgnoreIndex(Reduction reduction)
    {
        var w = Tensor.FromArray(OptionWeight);
        var a = (Tensor.Randn(new[] { 6, 5 }, 45, DType.Float64) * 3.0).Detach().RequireGrad();
        var b = Tensor.FromArray(a.ToDoubleArray(), 6, 5).RequireGrad();
        var nll = Functional.NllLoss(a.LogSoftmax(1), OptionTargets, reduction, w);
        var ce = Functional.CrossEntropy(b, OptionTargets, reduction, w);
        Assert.That(nll.ToDoubleArray(), Is.EqualTo(ce.ToDoubleArray()).Within(1e-12));
        nll.Backward(Tensor.Rand(nll.Shape.ToArray(), 46, DType.Float64));
        ce.Backward(Tensor.Rand(ce.Shape.ToArray(), 46, DType.Float64));
        Assert.That(a.Grad!.ToDoubleArray(), Is.EqualTo(b.Grad!.ToDoubleArray()).Within(1e-12));
    }

    [Test]
    public void CrossEntropy_Options_Float32_MatchesFloat64()
    {
        var x = Tensor.Randn(new[] { 6, 5 }, 47, DType.Float64);
        var w64 = Tensor.FromArray(OptionWeight);
        var f64 = Functional.CrossEntropy(x, OptionTargets, Reduction.None, w64, labelSmoothing: 0.2).ToDoubleArray();
        var f32 = Functional.CrossEntropy(x.To(DType.Float32), OptionTargets, Reduction.None, w64.To(DType.Float32), labelSmoothing: 0.2);
        Assert.That(f32.DType, Is.EqualTo(DType.Float32));
        Assert.That(f32.ToDoubleArray(), Is.EqualTo(f64).Within(1e-5));
    }

    [Test]
    public void CrossEntropy_Throws_WhenTargetOutOfRange_NamingIt_EvenWithAnIgnoreIndex()
    {
        var ex = Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(Tensor.Zeros(3, 3), [0, -100, -1], ignoreIndex: -100))!;
        Assert.That(ex.Message, Does.StartWith("SoftmaxCrossEntropy:").And.Contain("target -1").And.Contain("position 2").And.Contain("[3, 3]"));
        ex = Assert.Throws<ArgumentException>(() => new NllLoss(ignoreIndex: 0).Forward(Tensor.Zeros(2, 3), [0, -100]))!;
        Assert.That(ex.Message, Does.StartWith("NllLoss:").And.Contain("target -100").And.Contain("position 1"));
    }

    [TestCase(new[] { 2 })]
    [TestCase(new[] { 3, 1 })]
    public void CrossEntropy_Throws_WhenWeightIsNotOnePerClass(int[] shape)
    {
        var ex = Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(Tensor.Zeros(2, 3), [0, 1], weight: Tensor.Ones(shape)))!;
        Assert.That(ex.Message, Does.StartWith("SoftmaxCrossEntropy:").And.Contain("weight").And.Contain("[3]")
            .And.Contain("[" + string.Join(", ", shape) + "]"));
        Assert.That(ex.ParamName, Is.EqualTo("weight"));
        ex = Assert.Throws<ArgumentException>(() => Functional.NllLoss(Tensor.Zeros(2, 3), [0, 1], weight: Tensor.Ones(shape)))!;
        Assert.That(ex.Message, Does.StartWith("NllLoss:").And.Contain("weight").And.Contain("[3]"));
    }

    [Test]
    public void Throws_WhenWeightRequiresGrad()
    {
        var w = Tensor.Ones(3).RequireGrad();
        var ex = Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(Tensor.Zeros(2, 3), [0, 1], weight: w))!;
        Assert.That(ex.Message, Does.StartWith("SoftmaxCrossEntropy:").And.Contain("weight [3] requires grad").And.Contain("Detach"));
        ex = Assert.Throws<ArgumentException>(() => new CrossEntropyLoss(weight: w))!;
        Assert.That(ex.Message, Does.StartWith("CrossEntropyLoss:").And.Contain("requires grad"));
        ex = Assert.Throws<ArgumentException>(() => new NllLoss(weight: w))!;
        Assert.That(ex.Message, Does.StartWith("NllLoss:").And.Contain("requires grad"));
        ex = Assert.Throws<ArgumentException>(() => new NllLoss(weight: Tensor.Ones(1, 3)))!;
        Assert.That(ex.Message, Does.StartWith("NllLoss:").And.Contain("1-D").And.Contain("[1, 3]"));
    }

    [TestCase(-0.1)]
    [TestCase(1.5)]
    [TestCase(double.NaN)]
    public void Throws_WhenLabelSmoothingIsOutsideZeroOne(double eps)
    {
        var ex = Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(Tensor.Zeros(2, 3), [0, 1], labelSmoothing: eps))!;
        Assert.That(ex.Message, Does.StartWith("SoftmaxCrossEntropy:").And.Contain("labelSmoothing").And.Contain("[0, 1]"));
        ex = Assert.Throws<ArgumentException>(() => new CrossEntropyLoss(labelSmoothing: eps))!;
        Assert.That(ex.Message, Does.StartWith("CrossEntropyLoss:").And.Contain("labelSmoothing"));
    }

    [Test]
    public void ClassLosses_KeepTheirOptions_AndNameThemInToString()
    {
        var w = Tensor.FromArray(new[] { 1.0, 2, 3 });
        var ce = new CrossEntropyLoss(Reduction.Sum, w, ignoreIndex: 0, labelSmoothing: 0.1);
        Assert.That((ce.Weight, ce.IgnoreIndex, ce.LabelSmoothing), Is.EqualTo((w, 0, 0.1)));
        Assert.That(ce.ToString(), Is.EqualTo("CrossEntropyLoss(reduction: Sum, weight: [3], ignoreIndex: 0, labelSmoothing: 0.1)"));
        Assert.That(new NllLoss(weight: w).ToString(), Is.EqualTo("NllLoss(reduction: Mean, weight: [3])"));
        Assert.That(new NllLoss().ToString(), Is.EqualTo("NllLoss(reduction: Mean)"));
    }

    // ---- MseLoss --------------------------------------------------------------------------------------------

    [TestCaseSource(nameof(Reductions))]
    public void MseLoss_Forward_MatchesHandValues(Reduction reduction)
    {
        // F.mse_loss(tensor([[1., 2], [3, -1]]), tensor([[1., 0], [5, -0.5]]), reduction='none') = [[0, 4], [4, 0.25]]
        var criterion = new MseLoss(reduction);
        Assert.That(criterion.Reduction, Is.EqualTo(reduction));
        AssertReduced(criterion.Forward(Input(), Target()), reduction, new[] { 0, 4, 4, 0.25 }, new[] { 2, 2 });
    }

    [TestCaseSource(nameof(Reductions))]
    public void MseLoss_Backward_MatchesCentralDifferences_Float64(Reduction reduction) =>
        GradCheck.Assert(xs => new MseLoss(reduction).Forward(xs[0], xs[1]), new[] { Leaf(5, 2, 3), Leaf(6, 2, 3) }, "MseLoss");

    [Test]
    public void MseLoss_SumBackward_IsTwiceDifference()
    {
        var input = Input().RequireGrad();
        new MseLoss(Reduction.Sum).Forward(input, Target()).Backward();
        Assert.That(input.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0, 4, -4, -1.0 }).Within(1e-12));
    }

    // ---- L1Loss ---------------------------------------------------------------------------------------------

    [TestCaseSource(nameof(Reductions))]
    public void L1Loss_Forward_MatchesHandValues(Reduction reduction)
    {
        // F.l1_loss(tensor([[1., 2], [3, -1]]), tensor([[1., 0], [5, -0.5]]), reduction='none') = [[0, 2], [2, 0.5]]
        var criterion = new L1Loss(reduction);
        Assert.That(criterion.Reduction, Is.EqualTo(reduction));
        AssertReduced(criterion.Forward(Input(), Target()), reduction, new[] { 0, 2, 2, 0.5 }, new[] { 2, 2 });
    }

    [TestCaseSource(nameof(Reductions))]
    public void L1Loss_Backward_MatchesCentralDifferences_Float64(Reduction reduction) =>
        GradCheck.Assert(xs => new L1Loss(reduction).Forward(xs[0], xs[1]), new[] { Leaf(7, 2, 3), Leaf(8, 2, 3) }, "L1Loss");

    [Test]
    public void L1Loss_Backward_IsZeroWhereInputEqualsTarget()
    {
        // F.l1_loss(tensor([1., 2, 3], requires_grad=True), tensor([1., 0, 3])).backward() -> grad [0, 1/3, 0]
        var input = Tensor.FromArray(new[] { 1.0, 2, 3 }).RequireGrad();
        var target = Tensor.FromArray(new[] { 1.0, 0, 3 }).RequireGrad();
        new L1Loss().Forward(input, target).Backward();
        Assert.That(input.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0, 1.0 / 3, 0 }).Within(1e-15));
        Assert.That(target.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0, -1.0 / 3, 0 }).Within(1e-15));
    }

    [Test]
    public void L1Loss_Throws_WhenShapesDiffer()
    {
        var ex = Assert.Throws<ArgumentException>(() => new L1Loss().Forward(Tensor.Zeros(2, 3), Tensor.Zeros(3, 2)))!;
        Assert.That(ex.Message, Does.StartWith("L1Loss:").And.Contain("[2, 3]").And.Contain("[3, 2]"));
    }

    // ---- BCEWithLogitsLoss ----------------------------------------------------------------------------------

    [TestCaseSource(nameof(Reductions))]
    public void BCEWithLogitsLoss_Forward_MatchesHandValues(Reduction reduction)
    {
        // F.binary_cross_entropy_with_logits(tensor([[0., 2], [-1, 100]]), tensor([[1., 0], [0.25, 0]]), reduction='none')
        //   = [[ln 2, 2 + ln(1 + e^-2)], [0.25 + ln(1 + e^-1), 100]]
        var criterion = new BCEWithLogitsLoss(reduction);
        Assert.That(criterion.Reduction, Is.EqualTo(reduction));
        var loss = criterion.Forward(Tensor.FromArray(new[] { 0.0, 2, -1, 100 }, 2, 2), Tensor.FromArray(new[] { 1.0, 0, 0.25, 0 }, 2, 2));
        AssertReduced(loss, reduction, new[] { Math.Log(2), 2 + Math.Log(1 + Math.Exp(-2)), 0.25 + Math.Log(1 + Math.Exp(-1)), 100 }, new[] { 2, 2 });
    }

    [TestCaseSource(nameof(Reductions))]
    public void BCEWithLogitsLoss_Backward_MatchesCentralDifferences_Float64(Reduction reduction) =>
        GradCheck.Assert(xs => new BCEWithLogitsLoss(reduction).Forward(xs[0], xs[1]),
            new[] { Leaf(9, 2, 3), Tensor.Rand(new[] { 2, 3 }, 10, DType.Float64).RequireGrad() }, "BCEWithLogitsLoss");

    [Test]
    public void BCEWithLogitsLoss_MeanBackward_AtZero_IsSigmoidMinusTargetOverN()
    {
        var x = Tensor.Zeros(new[] { 4 }, DType.Float64).RequireGrad();
        new BCEWithLogitsLoss().Forward(x, Tensor.FromArray(new[] { 1.0, 1, 0, 0.5 })).Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { -0.125, -0.125, 0.125, 0 }));
    }

    // ---- BCEWithLogitsLoss weight and posWeight ----------------------------------------------------------------

    /// <summary>PyTorch's binary_cross_entropy_with_logits with pos_weight and weight, written out (Loss.cpp):
    /// <c>l = (1 - t)·x + (1 + (pw - 1)·t)·(log(1 + e^-|x|) + max(-x, 0))</c>, times the weight, then reduced over all elements.</summary>
    private static double[] PyTorchBce(double[] x, double[] t, Func<int, double> pw, Func<int, double> w, Reduction reduction)
    {
        var l = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
            l[i] = w(i) * ((1 - t[i]) * x[i] + (1 + (pw(i) - 1) * t[i]) * (Math.Log(1 + Math.Exp(-Math.Abs(x[i]))) + Math.Max(-x[i], 0)));
        return reduction switch { Reduction.None => l, Reduction.Sum => [l.Sum()], _ => [l.Average()] };
    }

    [TestCaseSource(nameof(Reductions))]
    public void BCEWithLogitsLoss_PosWeightAndWeight_Forward_MatchesPyTorchFormula(Reduction reduction)
    {
        // logits and targets [4, 3]; posWeight [3] (one per class, the last dim); weight [4, 1] (one per sample).
        var x = Tensor.Randn(new[] { 4, 3 }, 50, DType.Float64) * 3.0;
        var t = Tensor.Rand(new[] { 4, 3 }, 51, DType.Float64);
        double[] pw = [3, 0.5, 1];
        double[] w = [1, 2, 0.5, 0];
        var loss = new BCEWithLogitsLoss(reduction, Tensor.FromArray(w, 4, 1), Tensor.FromArray(pw)).Forward(x, t);
        Assert.That(loss.Shape.ToArray(), Is.EqualTo(reduction == Reduction.None ? new[] { 4, 3 } : Array.Empty<int>()));
        Assert.That(loss.ToDoubleArray(),
            Is.EqualTo(PyTorchBce(x.ToDoubleArray(), t.ToDoubleArray(), i => pw[i % 3], i => w[i / 3], reduction)).Within(1e-12));
    }

    [Test]
    public void BCEWithLogitsLoss_PosWeight_IsWeightedLogLikelihood()
    {
        // -[pw·t·log σ(x) + (1 - t)·log(1 - σ(x))] for moderate logits
        var x = Tensor.Randn(new[] { 2, 4 }, 52, DType.Float64);
        var t = Tensor.Rand(new[] { 2, 4 }, 53, DType.Float64);
        double[] pw = [2, 0.25, 1, 5];
        var loss = Functional.BCEWithLogitsLoss(x, t, Reduction.None, posWeight: Tensor.FromArray(pw)).ToDoubleArray();
        var xs = x.ToDoubleArray();
        var ts = t.ToDoubleArray();
        for (int i = 0; i < 8; i++)
        {
            double s = 1 / (1 + Math.Exp(-xs[i]));
            Assert.That(loss[i], Is.EqualTo(-(pw[i % 4] * ts[i] * Math.Log(s) + (1 - ts[i]) * Math.Log(1 - s))).Within(1e-12));
        }
    }

    [TestCase(100.0, 1.0, 0.0)]                              // pw·t·(-log σ(100)) ≈ 0
    [TestCase(-100.0, 1.0, 300.0)]                           // 3·100
    [TestCase(100.0, 0.0, 100.0)]
    public void BCEWithLogitsLoss_PosWeight_LargeLogits_StayExact(double x, double t, double expected)
    {
        var loss = Functional.BCEWithLogitsLoss(Tensor.FromArray(new[] { x }), Tensor.FromArray(new[] { t }), posWeight: Tensor.FromArray(new[] { 3.0 }));
        Assert.That(loss.ItemDouble(), Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void BCEWithLogitsLoss_PosWeight_SumBackward_AtZero()
    {
        // dx = (1 + (pw - 1)·t)·σ(0) - pw·t with pw = 3: t = [1, 0, 0.5] -> [1.5 - 3, 0.5, 1 - 1.5]
        var x = Tensor.Zeros(new[] { 3 }, DType.Float64).RequireGrad();
        Functional.BCEWithLogitsLoss(x, Tensor.FromArray(new[] { 1.0, 0, 0.5 }), Reduction.Sum, posWeight: Tensor.FromArray(new[] { 3.0 })).Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { -1.5, 0.5, -0.5 }).Within(1e-15));
    }

    [TestCaseSource(nameof(Reductions))]
    public void BCEWithLogitsLoss_PosWeightAndWeight_Backward_MatchesCentralDifferences_Float64(Reduction reduction) =>
        // Logits, targets, posWeight [3] and weight [2, 1] all differentiated.
        GradCheck.Assert(xs => Functional.BCEWithLogitsLoss(xs[0], xs[1], reduction, xs[3], xs[2]),
            new[] { Leaf(54, 2, 3), Tensor.Rand(new[] { 2, 3 }, 55, DType.Float64).RequireGrad(),
                (Tensor.Rand(new[] { 3 }, 56, DType.Float64) * 3.0).Detach().RequireGrad(), Leaf(57, 2, 1) }, "BCEWithLogitsLoss (options)");

    [Test]
    public void BCEWithLogitsLoss_PosWeight_SecondOrder_MatchesCentralDifferences() =>
        GradCheck.AssertSecondOrder(xs => Functional.BCEWithLogitsLoss(xs[0], xs[1], posWeight: Tensor.FromArray(new[] { 2.0, 0.5, 4 })),
            [Leaf(58, 2, 3), Tensor.Rand(new[] { 2, 3 }, 59, DType.Float64).RequireGrad()], "BCEWithLogitsLoss (posWeight)");

    [TestCase(new[] { 2 })]
    [TestCase(new[] { 2, 2, 3 })]
    public void BCEWithLogitsLoss_Throws_WhenAWeightDoesNotBroadcastToTheTargets(int[] shape)
    {
        string s = "[" + string.Join(", ", shape) + "]";
        var ex = Assert.Throws<ArgumentException>(() => Functional.BCEWithLogitsLoss(Tensor.Zeros(2, 3), Tensor.Zeros(2, 3), posWeight: Tensor.Ones(shape)))!;
        Assert.That(ex.Message, Does.StartWith("BCEWithLogitsLoss:").And.Contain($"posWeight {s}").And.Contain("[2, 3]"));
        ex = Assert.Throws<ArgumentException>(() => new BCEWithLogitsLoss(weight: Tensor.Ones(shape)).Forward(Tensor.Zeros(2, 3), Tensor.Zeros(2, 3)))!;
        Assert.That(ex.Message, Does.StartWith("BCEWithLogitsLoss:").And.Contain($"weight {s}").And.Contain("[2, 3]"));
    }

    [Test]
    public void BCEWithLogitsLoss_Throws_WhenPosWeightDTypeDiffers()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Functional.BCEWithLogitsLoss(Tensor.Zeros(2, 3), Tensor.Zeros(2, 3), posWeight: Tensor.Ones(new[] { 3 }, DType.Float64)))!;
        Assert.That(ex.Message, Does.StartWith("BCEWithLogitsLoss:").And.Contain("posWeight is Float64").And.Contain("Float32"));
    }

    [Test]
    public void BCEWithLogitsLoss_KeepsItsOptions_AndNamesThemInToString()
    {
        var pw = Tensor.Ones(3);
        var criterion = new BCEWithLogitsLoss(Reduction.Sum, posWeight: pw);
        Assert.That((criterion.Weight, criterion.PosWeight), Is.EqualTo(((Tensor?)null, pw)));
        Assert.That(criterion.ToString(), Is.EqualTo("BCEWithLogitsLoss(reduction: Sum, posWeight: [3])"));
    }

    // ---- common ---------------------------------------------------------------------------------------------

    [Test]
    public void UnknownReduction_Throws()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new MseLoss((Reduction)7).Forward(Input(), Target()))!;
        Assert.That(ex.Message, Does.Contain("reduction"));
    }

    [Test]
    public void ToString_NamesTheReduction()
    {
        Assert.That(new CrossEntropyLoss(Reduction.Sum).ToString(), Is.EqualTo("CrossEntropyLoss(reduction: Sum)"));
        Assert.That(new BCEWithLogitsLoss().ToString(), Is.EqualTo("BCEWithLogitsLoss(reduction: Mean)"));
    }
}
