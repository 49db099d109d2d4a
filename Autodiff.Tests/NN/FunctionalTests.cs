using Autodiff;
using static Autodiff.Tests.TestHelpers;
using Autodiff.NN;

namespace Autodiff.Tests.NN;

/// <summary>The composite losses of Autodiff.NN/Functional.cs: CrossEntropy and MseLoss.</summary>
public class FunctionalTests
{
    // Row 0: softmax([0, ln 2, 0]) = [1/4, 1/2, 1/4]; row 1: softmax([1, 1, 1]) = [1/3, 1/3, 1/3].
    private static Tensor Logits() => Tensor.FromArray(new[] { 0.0, Math.Log(2), 0, 1, 1, 1 }, 2, 3);

    // ---- CrossEntropy -------------------------------------------------------------------------------------------

    [Test]
    public void CrossEntropy_Forward_IsMeanNegativeLogProbabilityOfTargets()
    {
        var loss = Functional.CrossEntropy(Logits(), new[] { 1, 2 });    // (ln 2 + ln 3) / 2
        Assert.That(loss.Shape.ToArray(), Is.Empty);
        Assert.That(loss.ItemDouble(), Is.EqualTo(Math.Log(6) / 2).Within(1e-12));
    }

    [Test]
    public void CrossEntropy_Forward_LargeLogits_StayFinite()
    {
        // F.cross_entropy(tensor([[1000., 0], [0, 1000]]), tensor([1, 1])) = (1000 + 0) / 2
        var loss = Functional.CrossEntropy(Tensor.FromArray(new[] { 1000.0, 0, 0, 1000 }, 2, 2), new[] { 1, 1 });
        Assert.That(loss.ItemDouble(), Is.EqualTo(500.0).Within(1e-12));
    }

    [Test]
    public void CrossEntropy_Backward_IsSoftmaxMinusOneHotOverN()
    {
        var x = Logits().RequireGrad();
        Functional.CrossEntropy(x, new[] { 1, 2 }).Backward();
        Assert.That(x.Grad!.ToDoubleArray(),
            Is.EqualTo(new[] { 0.125, -0.25, 0.125, 1.0 / 6, 1.0 / 6, -1.0 / 3 }).Within(1e-12));
    }

    [TestCase(4, 5, new[] { 0, 4, 2, 2 })]
    [TestCase(1, 3, new[] { 1 })]
    public void CrossEntropy_Backward_MatchesCentralDifferences_Float64(int n, int c, int[] targets) =>
        GradCheck.Assert(xs => Functional.CrossEntropy(xs[0], targets), new[] { Leaf(1, n, c) }, "CrossEntropy");

    [Test]
    public void CrossEntropy_Throws_WhenTargetOutOfRange() =>
        AssertThrows<ArgumentException>(() => Functional.CrossEntropy(Tensor.Zeros(2, 3), new[] { 0, 3 }), "SoftmaxCrossEntropy", "[2, 3]");

    // [B, T, V] = [2, 3, 5] logits of a sequence model, with one target per position (B*T = 6).
    private static Tensor SequenceLogits() => Tensor.Randn(new[] { 2, 3, 5 }, 7, DType.Float64).RequireGrad();
    private static readonly int[] SequenceTargets = [4, 0, 2, 1, 3, 3];

    [TestCase(6, TestName = "CrossEntropy_OnSequenceLogits_Throws_NamingTheShapesAndTheReshape_TargetsBT")]
    [TestCase(10, TestName = "CrossEntropy_OnSequenceLogits_Throws_NamingTheShapesAndTheReshape_TargetsBV")]
    public void CrossEntropy_OnSequenceLogits_Throws_NamingTheShapesAndTheReshape(int targetCount)
    {
        // PyTorch reads [2, 3, 5] as [N, C, d1] (classes in dim 1); here any rank but 2 fails, naming the fix.
        var targets = new int[targetCount];
        AssertThrows<ArgumentException>(() => Functional.CrossEntropy(SequenceLogits(), targets),
            "CrossEntropy", "[2, 3, 5]", $"{targetCount} targets", "reshape logits to [B*T, V] = [6, 5]", "logits.Reshape(-1, 5)", "B*T = 6");
        AssertThrows<ArgumentException>(() => new CrossEntropyLoss(Reduction.Sum).Forward(SequenceLogits(), targets),
            "CrossEntropy", "[2, 3, 5]", "[6, 5]");
    }

    [Test]
    public void CrossEntropy_OnSequenceLogitsWithTEqualV_Throws_RatherThanReadingClassesFromDim1()
    {
        // [2, 4, 4] with 8 targets fits both readings ([B*T, V] rows and PyTorch's [N, C, d1] positions); neither is guessed.
        AssertThrows<ArgumentException>(() => Functional.CrossEntropy(Tensor.Zeros(2, 4, 4), new int[8]),
            "CrossEntropy", "[2, 4, 4]", "8 targets", "[8, 4]");
    }

    [Test]
    public void CrossEntropy_On1DLogits_Throws_SuggestingOneRow() =>
        AssertThrows<ArgumentException>(() => Functional.CrossEntropy(Tensor.Zeros(5), new[] { 1 }), "CrossEntropy", "[5]", "[1, C]");

    [Test]
    public void NllLoss_OnSequenceInput_Throws_NamingTheShapesAndTheReshape()
    {
        AssertThrows<ArgumentException>(() => Functional.NllLoss(SequenceLogits().LogSoftmax(2), SequenceTargets),
            "NllLoss", "[2, 3, 5]", "6 targets", "reshape input to [B*T, V] = [6, 5]");
        AssertThrows<ArgumentException>(() => new NllLoss().Forward(SequenceLogits().LogSoftmax(2), SequenceTargets), "NllLoss", "[2, 3, 5]");
    }

    [Test]
    public void CrossEntropyAndNllLoss_OnSequenceLogitsReshapedToRows_AreTheMeanOverPositions()
    {
        var logits = SequenceLogits();
        var x = logits.ToDoubleArray();
        double expected = 0;                                            // mean over b, t of logsumexp(x[b, t]) - x[b, t, target]
        for (int row = 0; row < 6; row++)
        {
            var scores = x.Skip(row * 5).Take(5).ToArray();
            expected += Math.Log(scores.Sum(Math.Exp)) - scores[SequenceTargets[row]];
        }
        expected /= 6;
        var loss = Functional.CrossEntropy(logits.Reshape(-1, 5), SequenceTargets);
        Assert.That(loss.ItemDouble(), Is.EqualTo(expected).Within(1e-12));
        Assert.That(Functional.NllLoss(logits.Reshape(-1, 5).LogSoftmax(1), SequenceTargets).ItemDouble(), Is.EqualTo(expected).Within(1e-12));
        loss.Backward();
        Assert.That(logits.Grad!.Shape.ToArray(), Is.EqualTo(new[] { 2, 3, 5 }));
    }

    // ---- MseLoss ------------------------------------------------------------------------------------------------

    [Test]
    public void MseLoss_Forward_IsMeanSquaredDifference()
    {
        // differences [0, 2, -2, -0.5] -> squares [0, 4, 4, 0.25] -> mean 8.25 / 4
        var input = Tensor.FromArray(new[] { 1.0, 2, 3, -1 }, 2, 2);
        var target = Tensor.FromArray(new[] { 1.0, 0, 5, -0.5 }, 2, 2);
        var loss = Functional.MseLoss(input, target);
        Assert.That(loss.Shape.ToArray(), Is.Empty);
        Assert.That(loss.ItemDouble(), Is.EqualTo(2.0625).Within(1e-12));
    }

    [Test]
    public void MseLoss_Forward_Float32()
    {
        var loss = Functional.MseLoss(Tensor.FromArray(new[] { 0f, -3f }), Tensor.FromArray(new[] { 1f, 1f }));   // (1 + 16) / 2
        Assert.That(loss.ItemDouble(), Is.EqualTo(8.5).Within(1e-6));
    }

    [Test]
    public void MseLoss_Backward_IsTwiceDifferenceOverN()
    {
        var input = Tensor.FromArray(new[] { 1.0, 2, 3 }).RequireGrad();
        var target = Tensor.FromArray(new[] { 1.0, 0, 5 }).RequireGrad();
        Functional.MseLoss(input, target).Backward();
        // d input = 2 (input - target) / 3 = [0, 4/3, -4/3]; d target is its negation
        Assert.That(input.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 4.0 / 3, -4.0 / 3 }).Within(1e-12));
        Assert.That(target.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, -4.0 / 3, 4.0 / 3 }).Within(1e-12));
    }

    [TestCase(new[] { 2, 3 })]
    [TestCase(new[] { 5 })]
    public void MseLoss_Backward_MatchesCentralDifferences_Float64(int[] shape) =>
        GradCheck.Assert(xs => Functional.MseLoss(xs[0], xs[1]), new[] { Leaf(2, shape), Leaf(3, shape) }, "MseLoss");

    [TestCase(Reduction.Mean)]
    [TestCase(Reduction.Sum)]
    public void MseLoss_IsOneFusedOp_WhoseGradientsDifferentiateAgain(Reduction reduction)
    {
        var (x, t) = (Leaf(4, 3, 5), Leaf(5, 3, 5));
        Assert.That(Functional.MseLoss(x, t, reduction).Creator!.Op, Is.EqualTo("MseLoss"));
        GradCheck.AssertSecondOrder(xs => Functional.MseLoss(xs[0].Tanh(), xs[1], reduction) * xs[0].Sum(), [x, t], "MseLoss");
    }

    [Test]
    public void MseLoss_OfNothing_IsNaN_AsPyTorchs()
    {
        Assert.That(Functional.MseLoss(Tensor.Zeros(0), Tensor.Zeros(0)).Item(), Is.NaN);
        Assert.That(Functional.MseLoss(Tensor.Zeros(0), Tensor.Zeros(0), Reduction.Sum).Item(), Is.EqualTo(0f));
    }

    [Test]
    public void MseLoss_Float32_OfAMillionElements_IsCloseToTheFloat64Mean()
    {
        var (x, t) = (Tensor.Randn([1000, 1000], 6), Tensor.Randn([1000, 1000], 7));
        double exact = Functional.MseLoss(x.To(DType.Float64), t.To(DType.Float64)).ItemDouble();
        Assert.That((double)Functional.MseLoss(x, t).Item(), Is.EqualTo(exact).Within(exact * 1e-6));
    }

    [Test]
    public void MseLoss_Throws_WhenShapesDiffer() =>
        AssertThrows<ArgumentException>(() => Functional.MseLoss(Tensor.Zeros(2, 3), Tensor.Zeros(3, 2)), "MseLoss", "[2, 3]", "[3, 2]");

    [Test]
    public void MseLoss_Throws_WhenDTypesDiffer() =>
        AssertThrows<ArgumentException>(() => Functional.MseLoss(Tensor.Zeros(2), Tensor.Zeros(new[] { 2 }, DType.Float64)), "MseLoss", "Float32", "Float64");
}
