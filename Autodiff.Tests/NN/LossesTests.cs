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
