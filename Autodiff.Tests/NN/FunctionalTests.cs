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

    [Test]
    public void MseLoss_Throws_WhenShapesDiffer() =>
        AssertThrows<ArgumentException>(() => Functional.MseLoss(Tensor.Zeros(2, 3), Tensor.Zeros(3, 2)), "MseLoss", "[2, 3]", "[3, 2]");

    [Test]
    public void MseLoss_Throws_WhenDTypesDiffer() =>
        AssertThrows<ArgumentException>(() => Functional.MseLoss(Tensor.Zeros(2), Tensor.Zeros(new[] { 2 }, DType.Float64)), "MseLoss", "Float32", "Float64");
}
