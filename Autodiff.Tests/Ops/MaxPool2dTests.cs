using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.MaxPool2d (Ops/MaxPool2d.cs, Kernels/Pooling.cs): torch.nn.functional.max_pool2d.</summary>
public class MaxPool2dTests
{
    [Test]
    public void Forward_TakesTheMaxOfEachWindow()
    {
        var x = Tensor.FromArray(new[] { 1.0, 5, 2, 0, 3, 4, 8, 1, 0, 2, 9, 9, 7, 1, 3, 6 }, 1, 1, 4, 4);
        var y = Ops.MaxPool2d(x, 2);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 1, 1, 2, 2 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 5.0, 8, 7, 9 }));
    }

    [Test]
    public void Forward_WithStrideAndPadding()
    {
        // 3x3 input 1..9, kernel 2, stride 1, padding 1: windows over a -inf border.
        var y = Ops.MaxPool2d(Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6, 7, 8, 9 }, 1, 1, 3, 3), 2, stride: 2, padding: 1);
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 3, 7, 9 }));
    }

    [TestCase(2, null, 0, 1)]      // the 2x2 / stride-2 fast path, odd sizes drop the last row and column
    [TestCase(2, 2, 0, 2)]         // dilated: the general loop
    [TestCase(3, 2, 1, 1)]         // overlapping, padded
    [TestCase(2, 1, 1, 1)]
    public void Forward_MatchesTheDefinition_WinnersIncluded(int k, int? stride, int p, int d)
    {
        var x = Tensor.Randn([2, 3, 7, 5], 1, DType.Float64).RequireGrad();
        var y = Ops.MaxPool2d(x, k, stride, p, d);
        int s = stride ?? k, oh = (7 + 2 * p - d * (k - 1) - 1) / s + 1, ow = (5 + 2 * p - d * (k - 1) - 1) / s + 1;
        var (xs, expected, winners) = (x.ToDoubleArray(), new double[6 * oh * ow], new double[x.Numel]);
        for (int plane = 0; plane < 6; plane++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    var (best, at) = (double.NegativeInfinity, -1);
                    for (int a = 0; a < k; a++)
                        for (int b = 0; b < k; b++)
                        {
                            int iy = i * s - p + a * d, ix = j * s - p + b * d;
                            if (iy < 0 || iy >= 7 || ix < 0 || ix >= 5) continue;
                            int flat = (plane * 7 + iy) * 5 + ix;
                            if (at < 0 || xs[flat] > best) (best, at) = (xs[flat], flat);
                        }
                    expected[(plane * oh + i) * ow + j] = best;
                    winners[at] += 1;
                }
        Assert.That(y.ToDoubleArray(), Is.EqualTo(expected));
        y.Sum().Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(winners));
    }

    [TestCase(2, null, 0)]
    [TestCase(3, 2, 1)]
    public void LargeEnoughToSplit_GivesTheSameBitsOnOneAndTwoThreads(int k, int? stride, int p)
    {
        // 3·7·120·120 = 302,400 inputs, above the 2¹⁸ (262,144) split threshold, in 21 planes: an odd
        // plane count makes the runs uneven. Rounded values make ties, so which winner gets the gradient is checked too.
        (float[] Y, float[] Dx) Run(int threads) => WithThreads(threads, () =>
        {
            var x = Tensor.FromArray(Tensor.Randn([3, 7, 120, 120], 40).ToArray().Select(v => MathF.Round(4 * v)).ToArray(), 3, 7, 120, 120)
                .RequireGrad();
            var y = Ops.MaxPool2d(x, k, stride, p);
            (y * Tensor.Randn(y.Shape.ToArray(), 41)).Sum().Backward();
            return (y.ToArray(), x.Grad!.ToArray());
        });
        var (one, two) = (Run(1), Run(2));
        Assert.That(two.Y, Is.EqualTo(one.Y), "output");
        Assert.That(two.Dx, Is.EqualTo(one.Dx), "input gradient");
    }

    [Test]
    public void Forward_NaNStaysOnceFound_AndTiesGoToTheFirst()
    {
        // Windows (2x2, row-major): {1, NaN, 5, 0}: NaN; {NaN, 9, 9, 1}: NaN; {2, 2, 2, 2}: the first 2.
        var x = Tensor.FromArray(new[] { 1.0, double.NaN, double.NaN, 9, 2, 2, 5, 0, 9, 1, 2, 2 }, 1, 1, 2, 6).RequireGrad();
        var y = Ops.MaxPool2d(x, 2);
        Assert.That(y.ToDoubleArray().Take(2).All(double.IsNaN), Is.True);
        Assert.That(y.ToDoubleArray()[2], Is.EqualTo(2));
        y.Sum().Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0 }));
    }

    [Test]
    public void Forward_NaNWins()
    {
        var y = Ops.MaxPool2d(Tensor.FromArray(new[] { 1.0, double.NaN, 3, 2 }, 1, 1, 2, 2), 2);
        Assert.That(double.IsNaN(y.ItemDouble()), Is.True);
    }

    [Test]
    public void Backward_SendsTheGradientToTheFirstMaximum()
    {
        var x = Tensor.FromArray(new[] { 4.0, 4, 1, 2 }, 1, 1, 2, 2).RequireGrad();
        Ops.MaxPool2d(x, 2).Sum().Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 0, 0, 0 }));
    }

    [Test]
    public void Backward_MatchesCentralDifferences()
    {
        GradCheck.Assert(t => Ops.MaxPool2d(t[0], 2), [Leaf(1, 2, 2, 4, 5)], "MaxPool2d");
        GradCheck.Assert(t => Ops.MaxPool2d(t[0], 3, stride: 2, padding: 1), [Leaf(2, 1, 2, 5, 5)], "MaxPool2d (overlapping, padded)");
    }

    [Test]
    public void Backward_CreateGraph_MatchesCentralDifferences() =>
        GradCheck.AssertSecondOrder(t => Ops.MaxPool2d(t[0] * t[0], 3, stride: 2, padding: 1), [Leaf(3, 1, 2, 5, 5)], "MaxPool2d");

    [Test]
    public void MaxPool2d_ThrowsForWrongRank() =>
        AssertThrows<ArgumentException>(() => Ops.MaxPool2d(Tensor.Zeros(4, 4), 2), "MaxPool2d", "[4, 4]");

    [Test]
    public void MaxPool2d_ThrowsForTooMuchPadding() =>
        AssertThrows<ArgumentException>(() => Ops.MaxPool2d(Tensor.Zeros(1, 1, 4, 4), 2, padding: 2), "MaxPool2d", "padding 2");

    [Test]
    public void MaxPool2d_ThrowsForAWindowLargerThanTheInput() =>
        AssertThrows<ArgumentException>(() => Ops.MaxPool2d(Tensor.Zeros(1, 1, 2, 2), 3), "MaxPool2d", "larger than the padded input");
}
