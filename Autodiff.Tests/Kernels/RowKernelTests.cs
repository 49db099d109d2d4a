using Autodiff;
using Autodiff.Kernels;
using static Autodiff.Tests.TestHelpers;
using Functional = Autodiff.NN.Functional;
using Softmax = Autodiff.Kernels.Softmax;

namespace Autodiff.Tests.Kernels;

/// <summary>The fused row kernels (Kernels/Softmax.cs, Normalization.cs, CrossEntropy.cs, Losses.cs over RowVectors.cs):
/// their bits depend on the values and the shape alone, not on where the buffers lie in memory or how the rows are split.</summary>
public class RowKernelTests
{
    /// <summary>A kernel reading x and g (each of the kernel's input length) and writing one output span.</summary>
    private delegate void Kernel(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> output);

    private static readonly float[] s_weight = Values(37, 90), s_bias = Values(37, 91);

    private static readonly Dictionary<string, (int Input, int Output, Kernel Run)> s_kernels = new()
    {
        // [outer, size, inner] = [3, 37, 1]: contiguous rows with a tail; [2, 5, 13]: strided with a partial vector.
        ["LogSoftmax rows"] = (111, 111, (x, g, y) => Softmax.Forward(x, 37, 1, 0, 3, y, log: true)),
        ["Softmax rows"] = (111, 111, (x, g, y) => Softmax.Forward(x, 37, 1, 0, 3, y, log: false)),
        ["LogSoftmax strided"] = (130, 130, (x, g, y) => Softmax.Forward(x, 5, 13, 0, 2, y, log: true)),
        ["Softmax strided"] = (130, 130, (x, g, y) => Softmax.Forward(x, 5, 13, 0, 2, y, log: false)),
        ["LogSoftmaxBackward rows"] = (111, 111, (x, g, dx) => Softmax.Backward(x, g, 37, 1, 0, 3, dx, log: true)),
        ["SoftmaxBackward rows"] = (111, 111, (x, g, dx) => Softmax.Backward(x, g, 37, 1, 0, 3, dx, log: false)),
        ["LogSoftmaxBackward strided"] = (130, 130, (x, g, dx) => Softmax.Backward(x, g, 5, 13, 0, 2, dx, log: true)),
        ["SoftmaxBackward strided"] = (130, 130, (x, g, dx) => Softmax.Backward(x, g, 5, 13, 0, 2, dx, log: false)),
        ["LogSoftmax short rows"] = (60, 60, (x, g, y) => Softmax.Forward(x, 3, 1, 0, 20, y, log: true)),      // [20, 3]
        ["Softmax short rows"] = (60, 60, (x, g, y) => Softmax.Forward(x, 3, 1, 0, 20, y, log: false)),
        ["LogSoftmaxBackward short rows"] = (60, 60, (x, g, dx) => Softmax.Backward(x, g, 3, 1, 0, 20, dx, log: true)),
        ["SoftmaxBackward short rows"] = (60, 60, (x, g, dx) => Softmax.Backward(x, g, 3, 1, 0, 20, dx, log: false)),
        ["LayerNorm short rows"] = (60, 84, (x, g, o) =>                                // [12, 5]: y, then mean and rstd
            Normalization.RowForward(x, 5, 1e-5f, s_weight[..5], s_bias[..5], 0, 12, o.Slice(60, 12), o.Slice(72, 12), o[..60])),
        ["LayerNormBackward short rows"] = (60, 70, (x, g, o) =>                        // dx [12, 5], dw [5], db [5]
        {
            Span<float> mean = stackalloc float[12], rstd = stackalloc float[12], y = new float[60];
            Normalization.RowForward(x, 5, 1e-5f, s_weight[..5], s_bias[..5], 0, 12, mean, rstd, y);
            o[60..].Clear();
            Normalization.RowBackward(x, g, 5, mean, rstd, s_weight[..5], 0, 12, o[..60], o.Slice(60, 5), o.Slice(65, 5));
        }),
        ["CrossEntropy short rows"] = (60, 80, (x, g, o) =>                             // [20, 3]: probabilities, then losses
            CrossEntropy.Forward(x, [.. Enumerable.Range(0, 20).Select(i => i == 7 ? -100 : i % 3)], 3, -100, default, 0.1, 0, 20, o[..60], o[60..])),
        ["LayerNorm"] = (111, 117, (x, g, o) =>                                          // y [3, 37], then mean and rstd
            Normalization.RowForward(x, 37, 1e-5f, s_weight, s_bias, 0, 3, o.Slice(111, 3), o.Slice(114, 3), o[..111])),
        ["LayerNormBackward"] = (111, 185, (x, g, o) =>                                  // dx [3, 37], dw [37], db [37]
        {
            Span<float> mean = stackalloc float[3], rstd = stackalloc float[3], y = new float[111];
            Normalization.RowForward(x, 37, 1e-5f, s_weight, s_bias, 0, 3, mean, rstd, y);
            o[111..].Clear();
            Normalization.RowBackward(x, g, 37, mean, rstd, s_weight, 0, 3, o[..111], o.Slice(111, 37), o.Slice(148, 37));
        }),
        ["BatchNorm"] = (66, 72, (x, g, o) =>                                           // [N, C, S] = [2, 3, 11]: y, mean, variance
        {
            Normalization.ChannelMoments(x, 2, 3, 11, 0, 3, o.Slice(66, 3), o.Slice(69, 3));
            Span<float> rstd = stackalloc float[3];
            for (int c = 0; c < 3; c++) rstd[c] = 1 / MathF.Sqrt(o[69 + c] + 1e-5f);
            Normalization.ChannelAffine(x, 2, 3, 11, o.Slice(66, 3), rstd, s_weight[..3], s_bias[..3], 0, 3, o[..66]);
        }),
        ["BatchNormBackward"] = (66, 72, (x, g, o) =>                                   // dx, dw, db
        {
            Span<float> mean = stackalloc float[3], rstd = stackalloc float[3];
            Normalization.ChannelMoments(x, 2, 3, 11, 0, 3, mean, rstd);
            for (int c = 0; c < 3; c++) rstd[c] = 1 / MathF.Sqrt(rstd[c] + 1e-5f);
            Normalization.ChannelBackward(x, g, 2, 3, 11, mean, rstd, s_weight[..3], true, 0, 3, o[..66], o.Slice(66, 3), o.Slice(69, 3));
        }),
        ["BatchNorm columns"] = (30, 40, (x, g, o) =>                                  // [N, C, S] = [3, 5, 2]: blocks shorter than a vector
        {
            Normalization.ChannelMoments(x, 3, 5, 2, 0, 5, o.Slice(30, 5), o.Slice(35, 5));
            Span<float> rstd = stackalloc float[5];
            for (int c = 0; c < 5; c++) rstd[c] = 1 / MathF.Sqrt(o[35 + c] + 1e-5f);
            Normalization.ChannelAffine(x, 3, 5, 2, o.Slice(30, 5), rstd, s_weight[..5], s_bias[..5], 0, 5, o[..30]);
        }),
        ["BatchNormBackward columns"] = (30, 40, (x, g, o) =>
        {
            Span<float> mean = stackalloc float[5], rstd = stackalloc float[5];
            Normalization.ChannelMoments(x, 3, 5, 2, 0, 5, mean, rstd);
            for (int c = 0; c < 5; c++) rstd[c] = 1 / MathF.Sqrt(rstd[c] + 1e-5f);
            Normalization.ChannelBackward(x, g, 3, 5, 2, mean, rstd, s_weight[..5], true, 0, 5, o[..30], o.Slice(30, 5), o.Slice(35, 5));
        }),
        ["CrossEntropy"] = (52, 56, (x, g, o) =>                                        // [4, 13]: probabilities, then losses
            CrossEntropy.Forward(x, [3, 0, -100, 12], 13, -100, default, 0.1, 0, 4, o[..52], o[52..])),
        ["SquaredErrorSum"] = (9001, 1, (x, g, o) => o[0] = (float)Losses.SquaredErrorSum(x, g)),   // crosses a 4096 block
        ["ScaledDifference"] = (37, 37, (x, g, o) => Losses.ScaledDifference(x, g, 0.7f, o)),
    };

    public static IEnumerable<string> KernelNames => s_kernels.Keys;

    private static float[] Values(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 6 - 3)).ToArray();
    }

    [TestCaseSource(nameof(KernelNames))]
    public void Kernel_GivesTheSameBits_AtEveryOffset(string name)
    {
        var (inputLength, outputLength, run) = s_kernels[name];
        var (x, g) = (Values(inputLength, 1), Values(inputLength, 2));
        var reference = new float[outputLength];
        run(x, g, reference);
        Assert.That(reference, Has.All.Matches<float>(float.IsFinite), $"{name}: the reference itself");
        for (int offset = 1; offset < 9; offset++)
        {
            var (xs, gs, output) = (new float[inputLength + 9], new float[inputLength + 9], new float[outputLength + 9]);
            x.CopyTo(xs, offset);
            g.CopyTo(gs, 8 - offset);
            output.AsSpan().Fill(float.NaN);                                      // a kernel must write all it returns
            int at = (offset + 3) % 9;
            run(xs.AsSpan(offset, inputLength), gs.AsSpan(8 - offset, inputLength), output.AsSpan(at, outputLength));
            Assert.That(output.AsSpan(at, outputLength).ToArray(), Is.EqualTo(reference), $"{name} at offset {offset}");
        }
    }

    [TestCase(true)]
    [TestCase(false)]
    public void Softmax_RowRanges_GiveTheBitsOfTheWholeCall(bool log)
    {
        // What a split across threads will do: each part computes [start, end) of the outer rows.
        var x = Values(7 * 45 * 3, 3);
        var (whole, parts) = (new float[x.Length], new float[x.Length]);
        Softmax.Forward(x, 45, 3, 0, 7, whole, log);
        Softmax.Forward(x, 45, 3, 0, 2, parts, log);
        Softmax.Forward(x, 45, 3, 2, 7, parts, log);
        Assert.That(parts, Is.EqualTo(whole));
    }

    [TestCase(true)]
    [TestCase(false)]
    public void Softmax_StridedPosition_DoesNotDependOnItsBlock(bool log)
    {
        // [2, 5, 300] along dim 1: positions 130..136 lie in the second block of 128; alone ([2, 5, 7]) they form one.
        var x = Values(2 * 5 * 300, 4);
        var y = new float[x.Length];
        Softmax.Forward(x, 5, 300, 0, 2, y, log);
        var (part, partY) = (new float[2 * 5 * 7], new float[2 * 5 * 7]);
        for (int o = 0; o < 2; o++)
            for (int k = 0; k < 5; k++)
                Array.Copy(x, (o * 5 + k) * 300 + 130, part, (o * 5 + k) * 7, 7);
        Softmax.Forward(part, 5, 7, 0, 2, partY, log);
        for (int o = 0; o < 2; o++)
            for (int k = 0; k < 5; k++)
                Assert.That(partY.AsSpan((o * 5 + k) * 7, 7).ToArray(), Is.EqualTo(y.AsSpan((o * 5 + k) * 300 + 130, 7).ToArray()));
    }

    [Test]
    public void Softmax_Strided_MatchesTheDefinition_AtEveryBlockSplit_Float64()
    {
        // Positions are cut into blocks of 128 (the last one taking up to 135): every split, and slabs narrower than a vector.
        foreach (int inner in new[] { 1, 2, 3, 4, 5, 7, 9, 127, 128, 129, 130, 131, 135, 136, 137, 255, 263, 264, 265 })
        {
            const int size = 3;
            var rng = new Random(inner);
            var x = Enumerable.Range(0, 2 * size * inner).Select(_ => rng.NextDouble() * 8 - 4).ToArray();
            var g = Enumerable.Range(0, x.Length).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
            var (log, soft, dlog, dsoft) = (new double[x.Length], new double[x.Length], new double[x.Length], new double[x.Length]);
            Softmax.Forward<double>(x, size, inner, 0, 2, log, log: true);
            Softmax.Forward<double>(x, size, inner, 0, 2, soft, log: false);
            Softmax.Backward<double>(log, g, size, inner, 0, 2, dlog, log: true);
            Softmax.Backward<double>(soft, g, size, inner, 0, 2, dsoft, log: false);
            for (int o = 0; o < 2; o++)
                for (int i = 0; i < inner; i++)
                {
                    int[] at = [.. Enumerable.Range(0, size).Select(k => (o * size + k) * inner + i)];
                    double max = at.Max(a => x[a]), sum = at.Sum(a => Math.Exp(x[a] - max));
                    double sumG = at.Sum(a => g[a]), dot = at.Sum(a => g[a] * Math.Exp(x[a] - max) / sum);
                    foreach (int a in at)
                    {
                        double p = Math.Exp(x[a] - max) / sum;
                        Assert.That(log[a], Is.EqualTo(x[a] - max - Math.Log(sum)).Within(1e-12), $"log_softmax, inner {inner}, position {i}");
                        Assert.That(soft[a], Is.EqualTo(p).Within(1e-12), $"softmax, inner {inner}, position {i}");
                        Assert.That(dlog[a], Is.EqualTo(g[a] - p * sumG).Within(1e-12), $"log_softmax backward, inner {inner}, position {i}");
                        Assert.That(dsoft[a], Is.EqualTo(p * (g[a] - dot)).Within(1e-12), $"softmax backward, inner {inner}, position {i}");
                    }
                }
        }
    }

    [TestCase(1, 3)]          // blocks of one value, too few columns for a vector: element by element
    [TestCase(1, 7)]          // BatchNorm1d [N, C]: down the rows, vectorized across the channels
    [TestCase(2, 5)]
    [TestCase(3, 3)]
    [TestCase(4, 2)]          // blocks of a whole double vector
    [TestCase(9, 3)]          // blocks of vectors and a tail
    public void BatchNorm_MatchesTheDefinition_ForEveryBlockLength_Float64(int s, int c)
    {
        const int n = 5;
        var rng = new Random(s * 10 + c);
        var x = Enumerable.Range(0, n * c * s).Select(_ => rng.NextDouble() * 4 - 2).ToArray();
        var g = Enumerable.Range(0, x.Length).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var w = Enumerable.Range(0, c).Select(_ => rng.NextDouble() + 0.5).ToArray();
        var b = Enumerable.Range(0, c).Select(_ => rng.NextDouble()).ToArray();
        var (mean, variance, rstd, y) = (new double[c], new double[c], new double[c], new double[x.Length]);
        var (dx, dw, db) = (new double[x.Length], new double[c], new double[c]);
        Normalization.ChannelMoments<double>(x, n, c, s, 0, c, mean, variance);
        for (int ch = 0; ch < c; ch++) rstd[ch] = 1 / Math.Sqrt(variance[ch] + 1e-5);
        Normalization.ChannelAffine<double>(x, n, c, s, mean, rstd, w, b, 0, c, y);
        Normalization.ChannelBackward<double>(x, g, n, c, s, mean, rstd, w, true, 0, c, dx, dw, db);
        for (int ch = 0; ch < c; ch++)
        {
            int[] at = [.. Enumerable.Range(0, n).SelectMany(i => Enumerable.Range((i * c + ch) * s, s))];
            double mu = at.Average(a => x[a]), sigma2 = at.Average(a => (x[a] - mu) * (x[a] - mu)), r = 1 / Math.Sqrt(sigma2 + 1e-5);
            double meanG = at.Average(a => g[a]), meanGX = at.Average(a => g[a] * (x[a] - mu) * r);
            Assert.That(mean[ch], Is.EqualTo(mu).Within(1e-12));
            Assert.That(variance[ch], Is.EqualTo(sigma2).Within(1e-12));
            Assert.That(db[ch], Is.EqualTo(meanG * at.Length).Within(1e-12));
            Assert.That(dw[ch], Is.EqualTo(meanGX * at.Length).Within(1e-12));
            foreach (int a in at)
            {
                Assert.That(y[a], Is.EqualTo((x[a] - mu) * r * w[ch] + b[ch]).Within(1e-12), $"y, channel {ch}");
                Assert.That(dx[a], Is.EqualTo(w[ch] * r * (g[a] - meanG - (x[a] - mu) * r * meanGX)).Within(1e-12), $"dx, channel {ch}");
            }
        }
    }

    [Test]
    public void Softmax_StridedAndContiguous_AgreeWithTheDefinition_Float64()
    {
        // Dim 1 of [2, 3, 4, 5] against the same rows laid out contiguously (the permuted tensor along its last dim).
        var x = Tensor.Randn([2, 3, 4, 5], 5, DType.Float64);
        var strided = global::Autodiff.Ops.Softmax(x, 1).ToDoubleArray();
        var contiguous = global::Autodiff.Ops.Softmax(x.Permute(0, 2, 3, 1), -1).Permute(0, 3, 1, 2).ToDoubleArray();
        Assert.That(strided, Is.EqualTo(contiguous).Within(1e-15));
    }

    [TearDown]
    public void StopPoisoning() => Compute.PoisonEmpty = false;

    /// <summary>Forward and backward of every row op, at shapes with tails, strided dims and short rows; returns every
    /// output and gradient.</summary>
    private static double[] RunRowOps(DType dtype)
    {
        var results = new List<double>();
        void Add(Tensor t) => results.AddRange(t.ToDoubleArray());
        var x = Tensor.Randn([3, 5, 19], 70, dtype).RequireGrad();
        var g = Tensor.Randn([3, 5, 19], 71, dtype);
        foreach (var y in new[]
        {
            global::Autodiff.Ops.Softmax(x, -1), global::Autodiff.Ops.Softmax(x, 1), global::Autodiff.Ops.LogSoftmax(x, -1),
            global::Autodiff.Ops.LogSoftmax(x, 0), global::Autodiff.Ops.Softmax(x.Reshape(3, 19, 5), 1),   // inner 5: the padded slab
        })
        {
            Add(y);
            y.Backward(g.Reshape(y.Shape.ToArray()));
            Add(x.Grad!);
            x.Grad = null;
        }
        var (w, b) = (Tensor.Randn([19], 72, dtype).RequireGrad(), Tensor.Randn([19], 73, dtype).RequireGrad());
        var layerNorm = global::Autodiff.Ops.LayerNorm(x, [19], w, b);
        layerNorm.Backward(g);
        Add(layerNorm); Add(x.Grad!); Add(w.Grad!); Add(b.Grad!);
        (x.Grad, w.Grad, b.Grad) = (null, null, null);
        var (cw, cb) = (Tensor.Randn([5], 74, dtype).RequireGrad(), Tensor.Randn([5], 75, dtype).RequireGrad());
        var (mean, variance) = (Tensor.Zeros([5], dtype), Tensor.Ones([5], dtype));
        foreach (bool training in new[] { true, false })
        {
            var batchNorm = global::Autodiff.Ops.BatchNorm(x, mean, variance, cw, cb, training);
            batchNorm.Backward(g);
            Add(batchNorm); Add(x.Grad!); Add(cw.Grad!); Add(cb.Grad!);
            (x.Grad, cw.Grad, cb.Grad) = (null, null, null);
        }
        var logits = x.Reshape(15, 19);
        var crossEntropy = Functional.CrossEntropy(logits, [.. Enumerable.Range(0, 15).Select(i => i % 19)], labelSmoothing: 0.1);
        crossEntropy.Backward();
        Add(crossEntropy); Add(x.Grad!);
        x.Grad = null;
        var mse = Functional.MseLoss(x, g);
        mse.Backward();
        Add(mse); Add(x.Grad!);
        return [.. results];
    }

    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    public void RowOps_AreBitIdentical_WhenEmptyBuffersHoldNaN(DType dtype)
    {
        var normal = RunRowOps(dtype);
        Compute.PoisonEmpty = true;
        Assert.That(RunRowOps(dtype), Is.EqualTo(normal));
        Assert.That(normal.Any(double.IsNaN), Is.False);
    }

    [Test]
    public void RowOps_AreBitIdentical_OnOneAndTwoThreads()
    {
        var one = WithThreads(1, () => RunRowOps(DType.Float32));
        Assert.That(WithThreads(2, () => RunRowOps(DType.Float32)), Is.EqualTo(one));
    }

    [Test]
    public void SquaredErrorSum_OfAMillionFloats_IsCloseToTheFloat64Sum()
    {
        var (x, y) = (Values(1_000_000, 6), Values(1_000_000, 7));
        double exact = 0;
        for (int i = 0; i < x.Length; i++) exact += ((double)x[i] - y[i]) * ((double)x[i] - y[i]);
        Assert.That(Losses.SquaredErrorSum<float>(x, y), Is.EqualTo(exact).Within(exact * 1e-6));
    }
}
