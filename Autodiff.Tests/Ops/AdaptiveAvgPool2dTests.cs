using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.AdaptiveAvgPool2d (Ops/AdaptiveAvgPool2d.cs): torch.nn.functional.adaptive_avg_pool2d.</summary>
public class AdaptiveAvgPool2dTests
{
    [Test]
    public void Forward_OverlappingWindows_UsePyTorchsStartAndEnd()
    {
        // 5x5 input x[r, c] = 5r + c to 2x2: rows/cols [0, 3) and [2, 5), so the means are 5·1 + 1, 5·1 + 3, 5·3 + 1, 5·3 + 3.
        var y = Ops.AdaptiveAvgPool2d(Seq(1, 1, 5, 5), 2);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 1, 1, 2, 2 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 6.0, 8, 16, 18 }).Within(1e-12));
    }

    [Test]
    public void Forward_OutputSizeOne_IsTheGlobalMean()
    {
        var y = Ops.AdaptiveAvgPool2d(Seq(2, 3, 4, 5), 1);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 3, 1, 1 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(Enumerable.Range(0, 6).Select(p => p * 20 + 9.5)).Within(1e-12));
    }

    [Test]
    public void Forward_OutputLargerThanInput_RepeatsWindows()
    {
        // H = 2 to 3 rows: [0, 1), [0, 2), [1, 2) -> 0, (0 + 2)/2, 2
        var y = Ops.AdaptiveAvgPool2d(Tensor.FromArray(new[] { 0.0, 2 }, 1, 1, 2, 1), (3, 1));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 1, 2 }));
    }

    [Test]
    public void Backward_MatchesCentralDifferences()
    {
        GradCheck.Assert(t => Ops.AdaptiveAvgPool2d(t[0], (2, 3)), [Leaf(1, 2, 2, 5, 7)], "AdaptiveAvgPool2d");
        GradCheck.Assert(t => Ops.AdaptiveAvgPool2d(t[0], 1), [Leaf(2, 1, 3, 3, 3)], "AdaptiveAvgPool2d (global)");
    }

    [Test]
    public void AdaptiveAvgPool2d_ThrowsForWrongRank() =>
        AssertThrows<ArgumentException>(() => Ops.AdaptiveAvgPool2d(Tensor.Zeros(3, 4, 4), 2), "AdaptiveAvgPool2d", "[3, 4, 4]");

    [Test]
    public void AdaptiveAvgPool2d_ThrowsForNonPositiveOutputSize() =>
        AssertThrows<ArgumentException>(() => Ops.AdaptiveAvgPool2d(Tensor.Zeros(1, 1, 4, 4), (0, 2)), "AdaptiveAvgPool2d", "(0, 2)", "[1, 1, 4, 4]");

    [Test]
    public void AdaptiveAvgPool2d_ThrowsForEmptyPlane() =>
        AssertThrows<ArgumentException>(() => Ops.AdaptiveAvgPool2d(Tensor.Zeros(1, 1, 0, 4), 2), "AdaptiveAvgPool2d", "[1, 1, 0, 4]");
}
