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
        var (expected, winners) = Reference(x.ToDoubleArray(), (k, k), (s, s), (p, p), (d, d), oh, ow);
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


    // ---- non-square windows and ceilMode -------------------------------------------------------------------------

    /// <summary>PyTorch's pooling_output_shape, written out: <c>⌊(size + 2p - d(k - 1) - 1 (+ s - 1 in ceil mode)) / s⌋ + 1</c>,
    /// less one in ceil mode when the last window would start at or past <c>size + p</c>.</summary>
    private static int PyTorchOutSize(int size, int k, int s, int p, int d, bool ceil)
    {
        int o = (size + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s + 1;
        if (ceil && (o - 1) * s >= size + p) o--;
        return o;
    }

    [TestCase(3, 2, 2, 1, 0, 1, 1, 1, false)]        // 3x2 window, stride (2, 1), padding (1, 0)
    [TestCase(2, 3, 1, 2, 1, 1, 2, 1, false)]        // dilated down
    [TestCase(2, 2, 2, 2, 0, 0, 1, 1, true)]         // 2x2 / stride 2 on odd sizes: ceil mode keeps the last row and column
    [TestCase(3, 2, 2, 2, 1, 1, 1, 1, true)]         // the last window would start in the right padding: dropped
    [TestCase(3, 3, 2, 3, 0, 1, 1, 2, true)]
    public void Forward_NonSquare_CeilMode_MatchesTheDefinition_WinnersIncluded(int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, bool ceil)
    {
        var x = Tensor.Randn([2, 3, 7, 5], 4, DType.Float64).RequireGrad();
        var y = Ops.MaxPool2d(x, (kh, kw), (sh, sw), (ph, pw), (dh, dw), ceil);
        int oh = PyTorchOutSize(7, kh, sh, ph, dh, ceil), ow = PyTorchOutSize(5, kw, sw, pw, dw, ceil);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 3, oh, ow }));
        var (expected, winners) = Reference(x.ToDoubleArray(), (kh, kw), (sh, sw), (ph, pw), (dh, dw), oh, ow);
        Assert.That(y.ToDoubleArray(), Is.EqualTo(expected));
        y.Sum().Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(winners));
    }

    [Test]
    public void Forward_CeilMode_KeepsThePartialLastWindows()
    {
        // F.max_pool2d(torch.arange(1., 10).view(1, 1, 3, 3), 2, ceil_mode=True) = [[5, 6], [8, 9]]; floor mode gives [[5]].
        var x = Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6, 7, 8, 9 }, 1, 1, 3, 3);
        Assert.That(Ops.MaxPool2d(x, 2, ceilMode: true).ToDoubleArray(), Is.EqualTo(new[] { 5.0, 6, 8, 9 }));
        Assert.That(Ops.MaxPool2d(x, 2).ToDoubleArray(), Is.EqualTo(new[] { 5.0 }));
    }

    [TestCase(5, 2, 2, 1, 3)]      // ceil((5 + 2 - 2) / 2) + 1 = 4, but window 3 would start at 6 - 1 = 5 = H: dropped (as floor)
    [TestCase(4, 3, 2, 0, 2)]      // floor 1, ceil 2
    [TestCase(6, 3, 3, 1, 3)]      // floor 2, ceil 3 (window 2 starts at 5, inside)
    public void CeilMode_OutputSize_FollowsPyTorchsRule(int size, int k, int s, int p, int expected)
    {
        Assert.That(PyTorchOutSize(size, k, s, p, 1, true), Is.EqualTo(expected));
        Assert.That(Ops.MaxPool2d(Tensor.Zeros(1, 1, size, size), k, s, p, ceilMode: true).Shape.ToArray(), Is.EqualTo(new[] { 1, 1, expected, expected }));
        Assert.That(Ops.AvgPool2d(Tensor.Zeros(1, 1, size, size), k, s, p, ceilMode: true).Shape.ToArray(), Is.EqualTo(new[] { 1, 1, expected, expected }));
    }

    [Test]
    public void Backward_NonSquare_CeilMode_MatchesCentralDifferences()
    {
        GradCheck.Assert(t => Ops.MaxPool2d(t[0], (3, 2), (2, 1), (1, 0), ceilMode: true), [Leaf(5, 1, 2, 6, 5)], "MaxPool2d (3x2, ceil)");
        GradCheck.Assert(t => Ops.MaxPool2d(t[0], 2, ceilMode: true), [Leaf(6, 2, 1, 5, 3)], "MaxPool2d (2x2, ceil, odd sizes)");
    }

    [Test]
    public void Backward_NonSquare_CreateGraph_MatchesCentralDifferences() =>
        GradCheck.AssertSecondOrder(t => Ops.MaxPool2d(t[0] * t[0], (2, 3), (2, 2), (1, 1), (1, 1), ceilMode: true), [Leaf(7, 1, 1, 5, 6)], "MaxPool2d (2x3, ceil)");

    [Test]
    public void AWindowHoldingNoInput_GivesMinusInfinity_AndNoGradient()
    {
        // A 2x2 window dilated by 3 over a 2x2 input padded by 1 reads rows and columns -1 and 2: padding only (PyTorch: -inf).
        var x = Tensor.Ones([1, 1, 2, 2], DType.Float64).RequireGrad();
        var y = Ops.MaxPool2d(x, 2, padding: 1, dilation: 3);
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { double.NegativeInfinity }));
        y.Backward(Tensor.Ones([1, 1, 1, 1], DType.Float64));
        Assert.That(x.Grad!.ToDoubleArray(), Is.All.EqualTo(0.0));
    }

    [Test]
    public void MaxPool2d_ThrowsForTooMuchPadding_NamingBothAxes() =>
        AssertThrows<ArgumentException>(() => Ops.MaxPool2d(Tensor.Zeros(1, 1, 6, 6), (3, 3), padding: (1, 2)), "MaxPool2d", "padding (1, 2)", "kernel size 3");

    [Test]
    public void MaxPool2d_ThrowsForNonPositiveSizes()
    {
        AssertThrows<ArgumentException>(() => Ops.MaxPool2d(Tensor.Zeros(1, 1, 4, 4), (2, 0)), "MaxPool2d", "kernel size", "(2, 0)");
        AssertThrows<ArgumentException>(() => Ops.MaxPool2d(Tensor.Zeros(1, 1, 4, 4), (2, 2), dilation: (1, 0)), "MaxPool2d", "dilation", "(1, 0)");
    }

    /// <summary>Max pooling of a [2, 3, 7, 5] input by its definition: each window's maximum (the first on ties), and how
    /// many windows each input element wins (its gradient under y.Sum()).</summary>
    private static (double[] Expected, double[] Winners) Reference(double[] xs, (int H, int W) k, (int H, int W) s, (int H, int W) p,
        (int H, int W) d, int oh, int ow)
    {
        var (expected, winners) = (new double[6 * oh * ow], new double[xs.Length]);
        for (int plane = 0; plane < 6; plane++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    var (best, at) = (double.NegativeInfinity, -1);
                    for (int a = 0; a < k.H; a++)
                        for (int b = 0; b < k.W; b++)
                        {
                            int iy = i * s.H - p.H + a * d.H, ix = j * s.W - p.W + b * d.W;
                            if (iy < 0 || iy >= 7 || ix < 0 || ix >= 5) continue;
                            int flat = (plane * 7 + iy) * 5 + ix;
                            if (at < 0 || xs[flat] > best) (best, at) = (xs[flat], flat);
                        }
                    expected[(plane * oh + i) * ow + j] = best;
                    winners[at] += 1;
                }
        return (expected, winners);
    }
}
