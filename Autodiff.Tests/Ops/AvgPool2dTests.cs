using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.AvgPool2d (Ops/AvgPool2d.cs, Kernels/Pooling.cs): torch.nn.functional.avg_pool2d.</summary>
public class AvgPool2dTests
{
    [Test]
    public void Forward_AveragesEachWindow()
    {
        // 4x4 input 0..15, 2x2 windows: (0+1+4+5)/4, (2+3+6+7)/4, (8+9+12+13)/4, (10+11+14+15)/4
        var y = Ops.AvgPool2d(Seq(1, 1, 4, 4), 2);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 1, 1, 2, 2 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 2.5, 4.5, 10.5, 12.5 }));
    }

    [TestCase(true, new[] { 0.25, 1.25, 2.75, 7 })]          // torch: avg_pool2d(x, 2, 2, 1) divides every window by 4
    [TestCase(false, new[] { 1.0, 2.5, 5.5, 7 })]            // count_include_pad=False: by the input elements in the window
    public void Forward_WithPadding_DividesAsPyTorch(bool countIncludePad, double[] expected)
    {
        // 3x3 input 1..9 padded by 1, windows of 2 at stride 2: {1}, {2, 3}, {4, 7}, {5, 6, 8, 9}
        var x = Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6, 7, 8, 9 }, 1, 1, 3, 3);
        var y = Ops.AvgPool2d(x, 2, stride: 2, padding: 1, countIncludePad: countIncludePad);
        Assert.That(y.ToDoubleArray(), Is.EqualTo(expected).Within(1e-15));
    }

    [TestCase(3, 1, 1)]
    [TestCase(3, 2, 1)]
    [TestCase(2, 1, 0)]
    public void Forward_MatchesTheDefinition(int k, int s, int p)
    {
        var x = Tensor.Randn([2, 3, 6, 5], 1, DType.Float64);
        var y = Ops.AvgPool2d(x, k, s, p);
        var xs = x.ToDoubleArray();
        int oh = (6 + 2 * p - k) / s + 1, ow = (5 + 2 * p - k) / s + 1;
        var expected = new double[2 * 3 * oh * ow];
        for (int plane = 0; plane < 6; plane++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    double sum = 0;
                    for (int a = 0; a < k; a++)
                        for (int b = 0; b < k; b++)
                        {
                            int iy = i * s - p + a, ix = j * s - p + b;
                            if (iy >= 0 && iy < 6 && ix >= 0 && ix < 5) sum += xs[(plane * 6 + iy) * 5 + ix];
                        }
                    expected[(plane * oh + i) * ow + j] = sum / (k * k);
                }
        Assert.That(y.ToDoubleArray(), Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void Backward_MatchesCentralDifferences()
    {
        GradCheck.Assert(t => Ops.AvgPool2d(t[0], 2), [Leaf(1, 2, 2, 4, 5)], "AvgPool2d");
        GradCheck.Assert(t => Ops.AvgPool2d(t[0], 3, stride: 2, padding: 1), [Leaf(2, 1, 2, 5, 5)], "AvgPool2d (overlapping, padded)");
        GradCheck.Assert(t => Ops.AvgPool2d(t[0], 3, stride: 2, padding: 1, countIncludePad: false), [Leaf(3, 1, 2, 5, 5)], "AvgPool2d (no pad count)");
    }

    [Test]
    public void Backward_CreateGraph_MatchesCentralDifferences() =>
        GradCheck.AssertSecondOrder(t => Ops.AvgPool2d(t[0] * t[0], 3, stride: 2, padding: 1), [Leaf(4, 1, 1, 4, 4)], "AvgPool2d");

    [Test]
    public void AvgPool2d_ThrowsForWrongRank() =>
        AssertThrows<ArgumentException>(() => Ops.AvgPool2d(Tensor.Zeros(4, 4), 2), "AvgPool2d", "[4, 4]");

    [Test]
    public void AvgPool2d_ThrowsForTooMuchPadding() =>
        AssertThrows<ArgumentException>(() => Ops.AvgPool2d(Tensor.Zeros(1, 1, 4, 4), 2, padding: 2), "AvgPool2d", "padding 2");

    [Test]
    public void AvgPool2d_ThrowsForAWindowLargerThanTheInput() =>
        AssertThrows<ArgumentException>(() => Ops.AvgPool2d(Tensor.Zeros(1, 1, 2, 2), 3), "AvgPool2d", "larger than the padded input", "[1, 1, 2, 2]");

    [Test]
    public void AvgPool2d_ThrowsForNonPositiveStride() =>
        AssertThrows<ArgumentException>(() => Ops.AvgPool2d(Tensor.Zeros(1, 1, 4, 4), 2, stride: 0), "AvgPool2d", "stride");


    // ---- non-square windows and ceilMode -------------------------------------------------------------------------

    [TestCase(true)]
    [TestCase(false)]
    public void Forward_CeilMode_DividesThePartialWindowsAsPyTorch(bool countIncludePad)
    {
        // F.avg_pool2d(torch.arange(1., 10).view(1, 1, 3, 3), 2, ceil_mode=True) = [[3, 4.5], [7.5, 9]]: a window past the
        // input (not padding) is divided by the elements it holds, count_include_pad or not.
        var x = Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6, 7, 8, 9 }, 1, 1, 3, 3);
        Assert.That(Ops.AvgPool2d(x, 2, countIncludePad: countIncludePad, ceilMode: true).ToDoubleArray(), Is.EqualTo(new[] { 3, 4.5, 7.5, 9 }));
    }

    [TestCase(3, 2, 2, 1, 1, 0, true, false)]
    [TestCase(3, 2, 2, 1, 1, 0, false, false)]
    [TestCase(3, 3, 2, 2, 1, 1, true, true)]         // 4 rows out in ceil mode; the last window's padded size is clipped
    [TestCase(3, 3, 2, 2, 1, 1, false, true)]
    [TestCase(2, 3, 2, 3, 0, 1, true, true)]
    public void Forward_NonSquare_CeilMode_MatchesPyTorchsDefinition(int kh, int kw, int sh, int sw, int ph, int pw, bool countIncludePad, bool ceil)
    {
        // PyTorch's avg_pool2d, written out: hstart = i·sH - pH, hend = min(hstart + kH, H + pH), pool_size from those
        // (clipped to the padded input), then both clipped to the input; divisor pool_size, or the clipped window's size
        // without count_include_pad. Output sizes from pooling_output_shape (see MaxPool2dTests).
        var x = Tensor.Randn([2, 3, 7, 6], 8, DType.Float64);
        var y = Ops.AvgPool2d(x, (kh, kw), (sh, sw), (ph, pw), countIncludePad, ceil);
        static int OutSize(int size, int k, int s, int p, bool ceil)
        {
            int o = (size + 2 * p - k + (ceil ? s - 1 : 0)) / s + 1;
            return ceil && (o - 1) * s >= size + p ? o - 1 : o;
        }
        int oh = OutSize(7, kh, sh, ph, ceil), ow = OutSize(6, kw, sw, pw, ceil);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 3, oh, ow }));
        var xs = x.ToDoubleArray();
        var expected = new double[6 * oh * ow];
        for (int plane = 0; plane < 6; plane++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    int hs = i * sh - ph, ws = j * sw - pw;
                    int he = Math.Min(hs + kh, 7 + ph), we = Math.Min(ws + kw, 6 + pw);
                    int poolSize = (he - hs) * (we - ws);
                    (hs, ws, he, we) = (Math.Max(hs, 0), Math.Max(ws, 0), Math.Min(he, 7), Math.Min(we, 6));
                    double sum = 0;
                    for (int iy = hs; iy < he; iy++)
                        for (int ix = ws; ix < we; ix++) sum += xs[(plane * 7 + iy) * 6 + ix];
                    expected[(plane * oh + i) * ow + j] = sum / (countIncludePad ? poolSize : (he - hs) * (we - ws));
                }
        Assert.That(y.ToDoubleArray(), Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void Backward_NonSquare_CeilMode_MatchesCentralDifferences()
    {
        GradCheck.Assert(t => Ops.AvgPool2d(t[0], (3, 2), (2, 2), (1, 1), ceilMode: true), [Leaf(5, 1, 2, 6, 5)], "AvgPool2d (3x2, ceil)");
        GradCheck.Assert(t => Ops.AvgPool2d(t[0], (3, 2), (2, 2), (1, 1), countIncludePad: false, ceilMode: true), [Leaf(6, 1, 2, 6, 5)],
            "AvgPool2d (3x2, ceil, no pad count)");
    }

    [Test]
    public void Backward_NonSquare_CreateGraph_MatchesCentralDifferences() =>
        GradCheck.AssertSecondOrder(t => Ops.AvgPool2d(t[0] * t[0], (2, 3), (2, 2), (1, 1), ceilMode: true), [Leaf(7, 1, 1, 5, 6)], "AvgPool2d (2x3, ceil)");

    [Test]
    public void AvgPool2d_ThrowsForTooMuchPadding_NamingBothAxes() =>
        AssertThrows<ArgumentException>(() => Ops.AvgPool2d(Tensor.Zeros(1, 1, 6, 6), (2, 4), padding: (2, 1)), "AvgPool2d", "padding (2, 1)", "(2, 4)");

    // ---- divisorOverride -----------------------------------------------------------------------------------------

    [TestCase(true)]
    [TestCase(false)]
    public void Forward_DivisorOverride_DividesEveryWindowByIt_PaddingCountOrNot(bool countIncludePad)
    {
        // torch: F.avg_pool2d(torch.arange(1., 10).view(1, 1, 3, 3), 2, 2, 1, count_include_pad=c, divisor_override=3)
        // = [[1, 5], [11, 28]] / 3: window sums {1}, {2, 3}, {4, 7}, {5, 6, 8, 9}, each divided by 3.
        var x = Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6, 7, 8, 9 }, 1, 1, 3, 3);
        var y = Ops.AvgPool2d(x, 2, stride: 2, padding: 1, countIncludePad: countIncludePad, divisorOverride: 3);
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 1 / 3.0, 5 / 3.0, 11 / 3.0, 28 / 3.0 }).Within(1e-15));
    }

    [TestCase(1)]
    [TestCase(5)]
    [TestCase(-2)]                                           // torch allows a negative divisor (only 0 is refused)
    public void Forward_DivisorOverride_NonSquare_CeilMode_IsTheWindowSumOverTheDivisor(int divisor)
    {
        var x = Tensor.Randn([1, 2, 5, 4], 21, DType.Float64);
        var y = Ops.AvgPool2d(x, (2, 3), (2, 2), (1, 1), countIncludePad: false, ceilMode: true, divisorOverride: divisor);
        // Output size as torch with ceil_mode: rows ceil((5 + 2 - 2)/2) + 1 = 4, less the last as it would start at 5, in
        // the right padding (torch drops it) = 3; cols ceil((4 + 2 - 3)/2) + 1 = 3.
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 1, 2, 3, 3 }));
        var xs = x.ToDoubleArray();
        var expected = new List<double>();
        for (int plane = 0; plane < 2; plane++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                {
                    double sum = 0;
                    for (int a = 0; a < 2; a++)
                        for (int b = 0; b < 3; b++)
                        {
                            int iy = i * 2 - 1 + a, ix = j * 2 - 1 + b;
                            if (iy >= 0 && iy < 5 && ix >= 0 && ix < 4) sum += xs[(plane * 5 + iy) * 4 + ix];
                        }
                    expected.Add(sum / divisor);
                }
        Assert.That(y.ToDoubleArray(), Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void Backward_DivisorOverride_MatchesCentralDifferences()
    {
        GradCheck.Assert(t => Ops.AvgPool2d(t[0], 3, stride: 2, padding: 1, divisorOverride: 2), [Leaf(8, 1, 2, 5, 5)], "AvgPool2d (divisor 2)");
        GradCheck.Assert(t => Ops.AvgPool2d(t[0], (3, 2), (2, 2), (1, 1), countIncludePad: false, ceilMode: true, divisorOverride: -4),
            [Leaf(9, 1, 2, 6, 5)], "AvgPool2d (3x2, ceil, divisor -4)");
        GradCheck.AssertSecondOrder(t => Ops.AvgPool2d(t[0] * t[0], 2, padding: 1, divisorOverride: 7), [Leaf(10, 1, 1, 4, 4)], "AvgPool2d (divisor 7)");
    }

    [Test]
    public void AvgPool2d_ThrowsForAZeroDivisorOverride() =>
        AssertThrows<ArgumentException>(() => Ops.AvgPool2d(Tensor.Zeros(1, 1, 4, 4), 2, divisorOverride: 0), "AvgPool2d", "divisorOverride", "zero");
}
