using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Conv2d (Ops/Conv2d.cs, Kernels/Convolution.cs): torch.nn.functional.conv2d via im2col + GEMM.</summary>
public class Conv2dTests
{
    /// <summary>The definition, in the plainest loops: y[n,o,oy,ox] = b[o] + Σ_{c,i,j} W[o,c,i,j]·x[n, g·C/g + c, oy·s - p + i·d, ox·s - p + j·d].</summary>
    private static double[] Naive(Tensor x, Tensor w, Tensor? b, int s, int p, int d, int groups)
    {
        var (xs, ws) = (x.ToDoubleArray(), w.ToDoubleArray());
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], wd = x.Shape[3], o = w.Shape[0], cg = w.Shape[1], kh = w.Shape[2], kw = w.Shape[3];
        int oh = (h + 2 * p - d * (kh - 1) - 1) / s + 1, ow = (wd + 2 * p - d * (kw - 1) - 1) / s + 1;
        var y = new double[n * o * oh * ow];
        for (int s0 = 0; s0 < n; s0++)
            for (int oc = 0; oc < o; oc++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                    {
                        double sum = b?.ToDoubleArray()[oc] ?? 0;
                        int g = oc / (o / groups);
                        for (int ci = 0; ci < cg; ci++)
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++)
                                {
                                    int iy = oy * s - p + i * d, ix = ox * s - p + j * d;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                                    sum += ws[((oc * cg + ci) * kh + i) * kw + j] * xs[((s0 * c + g * cg + ci) * h + iy) * wd + ix];
                                }
                        y[((s0 * o + oc) * oh + oy) * ow + ox] = sum;
                    }
        return y;
    }

    [Test]
    public void Forward_HandComputed()
    {
        // 1x1x3x3 input 1..9, 2x2 kernel of ones, bias 10: each output is 10 + the sum of a 2x2 block.
        var x = Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6, 7, 8, 9 }, 1, 1, 3, 3);
        var y = Ops.Conv2d(x, Tensor.Ones([1, 1, 2, 2], DType.Float64), Tensor.FromArray(new[] { 10.0 }, 1));
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 1, 1, 2, 2 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 22.0, 26, 34, 38 }));
    }

    [TestCase(1, 0, 1, 1)]
    [TestCase(2, 1, 1, 1)]
    [TestCase(1, 2, 2, 1)]
    [TestCase(2, 1, 1, 2)]
    [TestCase(3, 2, 2, 4)]
    public void Forward_MatchesTheDefinition(int stride, int padding, int dilation, int groups)
    {
        var x = Tensor.Randn([2, 4, 7, 6], 1, DType.Float64);
        var w = Tensor.Randn([4, 4 / groups, 3, 2], 2, DType.Float64);
        var b = Tensor.Randn([4], 3, DType.Float64);
        var y = Ops.Conv2d(x, w, b, (stride, stride), (padding, padding), (dilation, dilation), groups);
        Assert.That(y.ToDoubleArray(), Is.EqualTo(Naive(x, w, b, stride, padding, dilation, groups)).Within(1e-12));
    }

    [Test]
    public void Forward_Float32()
    {
        var x = Tensor.Randn([2, 3, 5, 5], 4);
        var w = Tensor.Randn([2, 3, 3, 3], 5);
        var y = Ops.Conv2d(x, w, padding: 1);
        Assert.That(y.DType, Is.EqualTo(DType.Float32));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(Naive(x, w, null, 1, 1, 1, 1)).Within(1e-4));
    }

    [TestCase(1, 0, 1, 1)]
    [TestCase(2, 1, 1, 1)]
    [TestCase(1, 1, 2, 2)]
    public void Backward_MatchesCentralDifferences(int stride, int padding, int dilation, int groups) =>
        GradCheck.Assert(t => Ops.Conv2d(t[0], t[1], t[2], (stride, stride), (padding, padding), (dilation, dilation), groups),
            [Leaf(6, 2, 2, 5, 4), Leaf(7, 2, 2 / groups, 2, 3), Leaf(8, 2)], "Conv2d");

    [TestCase(1)]
    [TestCase(2)]
    public void Pointwise_MatchesTheDefinition_AndCentralDifferences(int groups)
    {
        // A 1x1 window with stride 1 and no padding reads each sample in place instead of through im2col.
        var x = Tensor.Randn([2, 4, 3, 5], 10, DType.Float64);
        var w = Tensor.Randn([6, 4 / groups, 1, 1], 11, DType.Float64);
        var b = Tensor.Randn([6], 12, DType.Float64);
        var y = Ops.Conv2d(x, w, b, groups: groups);
        Assert.That(y.ToDoubleArray(), Is.EqualTo(Naive(x, w, b, 1, 0, 1, groups)).Within(1e-12));
        GradCheck.Assert(t => Ops.Conv2d(t[0], t[1], t[2], groups: groups), [Leaf(13, 2, 4, 2, 3), Leaf(14, 6, 4 / groups, 1, 1), Leaf(15, 6)], "Conv2d (1x1)");
    }

    [Test]
    public void Backward_StridedWithoutBias_MatchesCentralDifferences() =>
        GradCheck.Assert(t => Ops.Conv2d(t[0], t[1], null, (2, 1), (0, 1), (1, 2)), [Leaf(16, 2, 3, 5, 6), Leaf(17, 2, 3, 2, 2)], "Conv2d (strided, no bias)");

    [TestCase(1, 0, 1, 1)]
    [TestCase(2, 1, 1, 1)]
    [TestCase(1, 1, 2, 2)]
    public void SecondOrder_MatchesCentralDifferencesOfTheFirstDerivative(int stride, int padding, int dilation, int groups) =>
        // Tanh makes the second derivative in x nonzero; the product of conv outputs makes it nonzero in W and b too.
        GradCheck.AssertSecondOrder(t =>
        {
            var y = Ops.Conv2d(t[0], t[1], t[2], (stride, stride), (padding, padding), (dilation, dilation), groups);
            return Ops.Tanh(y) * y;
        }, [Leaf(20, 2, 2, 5, 4), Leaf(21, 2, 2 / groups, 2, 3), Leaf(22, 2)], "Conv2d");

    [Test]
    public void SecondOrder_Pointwise_MatchesCentralDifferencesOfTheFirstDerivative() =>
        GradCheck.AssertSecondOrder(t => Ops.Tanh(Ops.Conv2d(t[0], t[1], null, groups: 2)), [Leaf(23, 2, 4, 2, 3), Leaf(24, 4, 2, 1, 1)], "Conv2d (1x1)");

    [TestCase(1, 0, 1, 1)]
    [TestCase(2, 1, 1, 2)]
    [TestCase(1, 1, 2, 1)]
    public void ThirdOrder_TheBackwardOpsOwnDerivatives_MatchCentralDifferences(int stride, int padding, int dilation, int groups) =>
        // The function checked is itself a gradient (of input and weight, built with createGraph), so its second
        // derivative is a third derivative of the convolution: both recorded backward ops are differentiated twice.
        GradCheck.AssertSecondOrder(t =>
        {
            var y = Ops.Conv2d(t[0], t[1], null, (stride, stride), (padding, padding), (dilation, dilation), groups);
            var g = Autograd.Grad([(Ops.Tanh(y) * y).Sum()], [t[0], t[1]], createGraph: true);
            return Ops.Cat([g[0]!.Reshape(g[0]!.Numel), g[1]!.Reshape(g[1]!.Numel)], 0);
        }, [Leaf(26, 1, 2, 4, 3), Leaf(27, 2, 2 / groups, 2, 2)], "Conv2d (third order)");

    [Test]
    public void ThirdOrder_ThroughTheRecordedBackwardOps()
    {
        // y = Σ (w ⋆ x)² with a single weight w and no padding: y = w²·Σx², so dy/dw = 2w·Σx², d²y/dw² = 2·Σx², d³y/dw³ = 0,
        // and d/dx of d²y/dw² is 4x: a hand-derived answer through the weight-gradient op's own backward.
        var x = Leaf(25, 1, 1, 3, 3);
        var w = Tensor.FromArray(new[] { 1.5 }, 1, 1, 1, 1).RequireGrad();
        var y = Ops.Conv2d(x, w, null, padding: 0);
        var dw = Autograd.Grad([(y * y).Sum()], [w], createGraph: true)[0]!;
        var d2w = Autograd.Grad([dw.Sum()], [w], createGraph: true)[0]!;
        double sumSquares = x.ToDoubleArray().Sum(v => v * v);
        Assert.That(dw.ItemDouble(), Is.EqualTo(2 * 1.5 * sumSquares).Within(1e-12));
        Assert.That(d2w.ItemDouble(), Is.EqualTo(2 * sumSquares).Within(1e-12));
        var dx = Autograd.Grad([d2w.Sum()], [x])[0]!;
        Assert.That(dx.ToDoubleArray(), Is.EqualTo(x.ToDoubleArray().Select(v => 4 * v)).Within(1e-12));
    }

    [TestCase(1, 40)]
    [TestCase(2, 48)]
    public void LargeEnoughToSplit_GivesTheSameBitsOnOneAndTwoThreads(int groups, int size)
    {
        // 2·n·o·k·oH·oW is above the GEMM's 2·128³ threshold, so on two threads the samples (forward, input gradient)
        // and the output channels (weight gradient) are split; 3 samples and 5 channels per group make the runs uneven.
        (float[] Y, float[] Dx, float[] Dw, float[] Db) Run(int threads) => WithThreads(threads, () =>
        {
            var x = Tensor.Randn([3, 8, size, size], 30).RequireGrad();
            var w = (Tensor.Randn([10, 8 / groups, 3, 3], 31) * 0.1).Detach().RequireGrad();
            var b = Tensor.Randn([10], 32).RequireGrad();
            var y = Ops.Conv2d(x, w, b, padding: 1, groups: groups);
            (Ops.Tanh(y) * y).Sum().Backward();
            return (y.ToArray(), x.Grad!.ToArray(), w.Grad!.ToArray(), b.Grad!.ToArray());
        });
        var (one, two) = (Run(1), Run(2));
        Assert.That(two.Y, Is.EqualTo(one.Y), "output");
        Assert.That(two.Dx, Is.EqualTo(one.Dx), "input gradient");
        Assert.That(two.Dw, Is.EqualTo(one.Dw), "weight gradient");
        Assert.That(two.Db, Is.EqualTo(one.Db), "bias gradient");
    }

    [Test]
    public void Conv2d_ThrowsForWrongRank() =>
        AssertThrows<ArgumentException>(() => Ops.Conv2d(Tensor.Zeros(3, 5, 5), Tensor.Zeros(2, 3, 3, 3)), "Conv2d", "[3, 5, 5]");

    [Test]
    public void Conv2d_ThrowsForChannelMismatch() =>
        AssertThrows<ArgumentException>(() => Ops.Conv2d(Tensor.Zeros(1, 4, 5, 5), Tensor.Zeros(2, 3, 3, 3)), "Conv2d", "[1, 4, 5, 5]", "[2, 3, 3, 3]");

    [Test]
    public void Conv2d_ThrowsForGroupsNotDividingChannels() =>
        AssertThrows<ArgumentException>(() => Ops.Conv2d(Tensor.Zeros(1, 3, 5, 5), Tensor.Zeros(2, 1, 3, 3), groups: 2), "Conv2d", "groups 2");

    [Test]
    public void Conv2d_ThrowsForAWindowLargerThanThePaddedInput() =>
        AssertThrows<ArgumentException>(() => Ops.Conv2d(Tensor.Zeros(1, 1, 2, 2), Tensor.Zeros(1, 1, 3, 3)), "Conv2d", "larger than the padded input", "[1, 1, 2, 2]");

    [Test]
    public void Conv2d_ThrowsForWrongBiasShape() =>
        AssertThrows<ArgumentException>(() => Ops.Conv2d(Tensor.Zeros(1, 1, 4, 4), Tensor.Zeros(2, 1, 3, 3), Tensor.Zeros(3)), "Conv2d", "bias", "[3]", "[2]");

    [Test]
    public void Conv2d_ThrowsForNonPositiveStride() =>
        AssertThrows<ArgumentException>(() => Ops.Conv2d(Tensor.Zeros(1, 1, 4, 4), Tensor.Zeros(1, 1, 3, 3), stride: 0), "Conv2d", "stride");
}
