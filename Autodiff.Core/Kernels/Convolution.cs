using System.Numerics;
using System.Runtime.InteropServices;
using Autodiff.Memory;

namespace Autodiff.Kernels;

/// <summary>The geometry of a 2-D convolution or pooling window over NCHW data; <see cref="CeilMode"/> (pooling only)
/// rounds the output size up, as PyTorch's <c>ceil_mode</c>.</summary>
internal readonly record struct Window2d(int KernelH, int KernelW, int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW,
    bool CeilMode = false)
{
    public int OutH(int h) => OutSize(h, KernelH, StrideH, PadH, DilationH, CeilMode);

    public int OutW(int w) => OutSize(w, KernelW, StrideW, PadW, DilationW, CeilMode);

    /// <summary>PyTorch's <c>pooling_output_shape</c>: <c>⌊(size + 2·pad - dilation·(kernel - 1) - 1) / stride⌋ + 1</c>, or
    /// with <paramref name="ceilMode"/> the ceiling, less one if the last window would start past the input and its left
    /// padding (so every window starts inside the input or the left padding). The caller has checked that the dilated
    /// window fits the padded input.</summary>
    public static int OutSize(int size, int kernel, int stride, int pad, int dilation, bool ceilMode)
    {
        int span = size + 2 * pad - dilation * (kernel - 1) - 1;
        if (!ceilMode) return span / stride + 1;
        int count = (span + stride - 1) / stride + 1;
        return (count - 1) * stride >= size + pad ? count - 1 : count;
    }

    /// <summary>True for a 1x1 window with stride 1 and no padding: im2col of a sample is the sample itself.</summary>
    public bool IsPointwise => KernelH == 1 && KernelW == 1 && StrideH == 1 && StrideW == 1 && PadH == 0 && PadW == 0;

    /// <summary>The outputs <c>[lo, hi)</c> along the width whose tap j reads inside the input (the others read padding).</summary>
    public (int Lo, int Hi) ValidColumns(int j, int w, int ow)
    {
        int offset = j * DilationW - PadW;                                              // input column of output 0
        int lo = offset >= 0 ? 0 : (-offset + StrideW - 1) / StrideW;
        int hi = offset > w - 1 ? 0 : Math.Min(ow, (w - 1 - offset) / StrideW + 1);
        return (lo, Math.Max(lo, hi));
    }
}

/// <summary>The sizes of one 2-D convolution: input <c>[N, C, H, W]</c>, weight <c>[O, C/groups, kH, kW]</c>, output
/// <c>[N, O, oH, oW]</c>.</summary>
internal readonly record struct ConvShape(int N, int C, int H, int W, int O, int Groups, Window2d Window)
{
    /// <summary>oH·oW, the outputs per sample and channel.</summary>
    public int Plane => Window.OutH(H) * Window.OutW(W);

    /// <summary>Output channels per group: the rows of one group's weight matrix.</summary>
    public int OutPerGroup => O / Groups;

    /// <summary><c>C/groups·kH·kW</c>: the depth of one group's product, the columns of its weight matrix.</summary>
    public int Depth => C / Groups * Window.KernelH * Window.KernelW;

    /// <summary><c>C·H·W</c>, the elements of one input sample.</summary>
    public int Sample => C * H * W;

    /// <summary>Whether the products are too small to be worth a second thread (the GEMM's own threshold).</summary>
    public bool Small => 2L * N * O * Depth * Plane < MatMul.ParallelMinFlops;
}

/// <summary>A 2-D convolution's three products (the forward, the input gradient, the weight gradient) as span kernels,
/// split across threads when large, over im2col and its adjoint col2im: a convolution becomes one matrix product per sample
/// and group.</summary>
/// <remarks>
/// For a sample <c>[C, H, W]</c> the column matrix is <c>[C·kH·kW, oH·oW]</c>: row <c>(c, i, j)</c>, column <c>(y, x)</c>
/// holds <c>input[c, y·sH - pH + i·dH, x·sW - pW + j·dW]</c>, or 0 in the padding. Then
/// <c>out[o, (y, x)] = Σ_row W[o, row] · col[row, (y, x)]</c> is a GEMM of <c>[O, C·kH·kW] · [C·kH·kW, oH·oW]</c> whose
/// result is already the sample's NCHW output. One sample's columns stay in cache between im2col and the GEMM.
/// </remarks>
internal static class Convolution
{
    /// <summary><c>y = W_g · im2col(x[s])_g</c> for every sample s and group g (every element of y is written); threads
    /// take disjoint runs of samples.</summary>
    public static unsafe void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, Span<T> y, ConvShape s)
        where T : struct, IFloatingPointIeee754<T>
    {
        int parts = Parts.Count(s.N, s.Small);
        if (parts == 1)
        {
            ForwardSamples(x, w, y, s, 0, s.N);
            return;
        }
        fixed (byte* px = MemoryMarshal.AsBytes(x), pw = MemoryMarshal.AsBytes(w), py = MemoryMarshal.AsBytes(y))
        {
            var (xs, ws, ys) = (new Pinned<T>(px, x.Length), new Pinned<T>(pw, w.Length), new Pinned<T>(py, y.Length));
            Parts.For(s.N, parts, (first, end) => ForwardSamples<T>(xs.Span, ws.Span, ys.Span, s, first, end));
        }
    }

    /// <summary><c>dx = col2im(W_gᵀ · dy[s]_g)</c> for every sample (every element of dx is written); threads take disjoint
    /// runs of samples.</summary>
    public static unsafe void InputGrad<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> w, Span<T> dx, ConvShape s)
        where T : struct, IFloatingPointIeee754<T>
    {
        int parts = Parts.Count(s.N, s.Small);
        if (parts == 1)
        {
            InputGradSamples(dy, w, dx, s, 0, s.N);
            return;
        }
        fixed (byte* pdy = MemoryMarshal.AsBytes(dy), pw = MemoryMarshal.AsBytes(w), pdx = MemoryMarshal.AsBytes(dx))
        {
            var (dys, ws, dxs) = (new Pinned<T>(pdy, dy.Length), new Pinned<T>(pw, w.Length), new Pinned<T>(pdx, dx.Length));
            Parts.For(s.N, parts, (first, end) => InputGradSamples<T>(dys.Span, ws.Span, dxs.Span, s, first, end));
        }
    }

    /// <summary><c>dW_g = Σ_s dy[s]_g · im2col(x[s])_gᵀ</c>, summed over the samples in order (every element of dW is
    /// written); threads take disjoint runs of each group's output channels (rows of dW), so every element is still summed
    /// in the same order.</summary>
    public static unsafe void WeightGrad<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dw, ConvShape s)
        where T : struct, IFloatingPointIeee754<T>
    {
        if (s.N == 0)
        {
            dw.Clear();                                                                  // an empty sum is 0
            return;
        }
        int parts = Parts.Count(s.OutPerGroup, s.Small);
        if (parts == 1)
        {
            WeightGradRows(x, dy, dw, s, 0, s.OutPerGroup);
            return;
        }
        fixed (byte* px = MemoryMarshal.AsBytes(x), pdy = MemoryMarshal.AsBytes(dy), pdw = MemoryMarshal.AsBytes(dw))
        {
            var (xs, dys, dws) = (new Pinned<T>(px, x.Length), new Pinned<T>(pdy, dy.Length), new Pinned<T>(pdw, dw.Length));
            Parts.For(s.OutPerGroup, parts, (first, end) => WeightGradRows<T>(xs.Span, dys.Span, dws.Span, s, first, end));
        }
    }

    private static void ForwardSamples<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, Span<T> y, ConvShape s, int first, int end)
        where T : struct, IFloatingPointIeee754<T>
    {
        var (og, k, plane) = (s.OutPerGroup, s.Depth, s.Plane);
        using var scratch = new Scratch<T>(s);
        for (int n = first; n < end; n++)
        {
            var cols = Columns(x, s, n, scratch.Span);
            for (int g = 0; g < s.Groups; g++)
                MatMul.Gemm(w.Slice(g * og * k, og * k), false, cols.Slice(g * k * plane, k * plane), false,
                    y.Slice((n * s.O + g * og) * plane, og * plane), og, k, plane, accumulate: false);
        }
    }

    private static void InputGradSamples<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> w, Span<T> dx, ConvShape s, int first, int end)
        where T : struct, IFloatingPointIeee754<T>
    {
        var (og, k, plane) = (s.OutPerGroup, s.Depth, s.Plane);
        using var scratch = new Scratch<T>(s);
        for (int n = first; n < end; n++)
        {
            // Pointwise: the columns are the sample itself, so the product lands in dx directly; else col2im spreads it.
            var sample = dx.Slice(n * s.Sample, s.Sample);
            var cols = scratch.IsEmpty ? sample : scratch.Span;
            for (int g = 0; g < s.Groups; g++)
                MatMul.Gemm(w.Slice(g * og * k, og * k), true, dy.Slice((n * s.O + g * og) * plane, og * plane), false,
                    cols.Slice(g * k * plane, k * plane), k, og, plane, accumulate: false);
            if (scratch.IsEmpty) continue;
            sample.Clear();
            Col2ImAdd<T>(cols, s.C, s.H, s.W, s.Window, sample);
        }
    }

    private static void WeightGradRows<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dw, ConvShape s, int first, int end)
        where T : struct, IFloatingPointIeee754<T>
    {
        var (og, k, plane) = (s.OutPerGroup, s.Depth, s.Plane);
        using var scratch = new Scratch<T>(s);
        for (int n = 0; n < s.N; n++)
        {
            var cols = Columns(x, s, n, scratch.Span);
            for (int g = 0; g < s.Groups; g++)
                MatMul.Gemm(dy.Slice((n * s.O + g * og + first) * plane, (end - first) * plane), false, cols.Slice(g * k * plane, k * plane), true,
                    dw.Slice((g * og + first) * k, (end - first) * k), end - first, plane, k, accumulate: n > 0);
        }
    }

    /// <summary>Sample n's columns <c>[C·kH·kW, oH·oW]</c>: im2col into the scratch, or the sample itself for a pointwise
    /// window (the scratch is then empty).</summary>
    private static ReadOnlySpan<T> Columns<T>(ReadOnlySpan<T> x, ConvShape s, int n, Span<T> scratch)
        where T : struct, IFloatingPointIeee754<T>
    {
        var sample = x.Slice(n * s.Sample, s.Sample);
        if (scratch.IsEmpty) return sample;
        Im2Col(sample, s.C, s.H, s.W, s.Window, scratch);
        return scratch;
    }

    /// <summary>One worker's column matrix for a sample, rented from its thread's buffer pool and given back on Dispose;
    /// empty for a pointwise window, which needs none. Filled with NaN while tests poison empty buffers
    /// (<c>Compute.PoisonEmpty</c>), so that im2col is checked to write all of it.</summary>
    private readonly struct Scratch<T> : IDisposable where T : struct, IFloatingPointIeee754<T>
    {
        private readonly T[]? _array;

        public Scratch(ConvShape s)
        {
            if (s.Window.IsPointwise) return;
            int length = s.C * s.Window.KernelH * s.Window.KernelW * s.Plane;
            _array = typeof(T) == typeof(float) ? (T[])(object)BufferPool.RentFloat(length) : (T[])(object)BufferPool.RentDouble(length);
            if (Compute.PoisonEmpty) _array.AsSpan().Fill(T.NaN);
        }

        public bool IsEmpty => _array is null;

        public Span<T> Span => _array;

        public void Dispose() => BufferPool.Return(_array as float[], _array as double[]);
    }

    /// <summary>Writes every element of <paramref name="col"/> from one sample <paramref name="input"/> <c>[C, H, W]</c>.</summary>
    public static void Im2Col<T>(ReadOnlySpan<T> input, int c, int h, int w, Window2d win, Span<T> col)
        where T : struct, IFloatingPointIeee754<T>
    {
        int oh = win.OutH(h), ow = win.OutW(w), plane = oh * ow;
        for (int ch = 0; ch < c; ch++)
            for (int i = 0; i < win.KernelH; i++)
                for (int j = 0; j < win.KernelW; j++)
                {
                    var row = col.Slice(((ch * win.KernelH + i) * win.KernelW + j) * plane, plane);
                    var (lo, hi) = win.ValidColumns(j, w, ow);
                    int x0 = j * win.DilationW - win.PadW;
                    for (int y = 0; y < oh; y++)
                    {
                        var dst = row.Slice(y * ow, ow);
                        int iy = y * win.StrideH - win.PadH + i * win.DilationH;
                        if ((uint)iy >= (uint)h) { dst.Clear(); continue; }
                        var src = input.Slice((ch * h + iy) * w, w);
                        dst[..lo].Clear();
                        dst[hi..].Clear();
                        if (win.StrideW == 1) src.Slice(x0 + lo, hi - lo).CopyTo(dst[lo..hi]);
                        else for (int x = lo; x < hi; x++) dst[x] = src[x0 + x * win.StrideW];
                    }
                }
    }

    /// <summary>The adjoint of <see cref="Im2Col{T}"/>: adds each element of <paramref name="col"/> back into the position of
    /// the sample <paramref name="input"/> it was read from (positions read by several windows sum, in a fixed order).</summary>
    public static void Col2ImAdd<T>(ReadOnlySpan<T> col, int c, int h, int w, Window2d win, Span<T> input)
        where T : struct, IFloatingPointIeee754<T>
    {
        int oh = win.OutH(h), ow = win.OutW(w), plane = oh * ow;
        for (int ch = 0; ch < c; ch++)
            for (int i = 0; i < win.KernelH; i++)
                for (int j = 0; j < win.KernelW; j++)
                {
                    var row = col.Slice(((ch * win.KernelH + i) * win.KernelW + j) * plane, plane);
                    var (lo, hi) = win.ValidColumns(j, w, ow);
                    int x0 = j * win.DilationW - win.PadW;
                    for (int y = 0; y < oh; y++)
                    {
                        int iy = y * win.StrideH - win.PadH + i * win.DilationH;
                        if ((uint)iy >= (uint)h) continue;
                        var src = row.Slice(y * ow, ow);
                        var dst = input.Slice((ch * h + iy) * w, w);
                        if (win.StrideW == 1) Elementwise.Add(dst.Slice(x0 + lo, hi - lo), src[lo..hi], dst.Slice(x0 + lo, hi - lo));
                        else for (int x = lo; x < hi; x++) dst[x0 + x * win.StrideW] += src[x];
                    }
                }
    }

    /// <summary><c>y[s, o, p] += b[o]</c> for NCHW y.</summary>
    public static void AddChannelBias<T>(Span<T> y, ReadOnlySpan<T> b, int n, int plane) where T : struct, IFloatingPointIeee754<T>
    {
        for (int s = 0; s < n; s++)
            for (int o = 0; o < b.Length; o++)
            {
                var dst = y.Slice((s * b.Length + o) * plane, plane);
                Elementwise.Add(dst, b[o], dst);
            }
    }

    /// <summary><c>db[o] += Σ_{s, p} dy[s, o, p]</c>, summed sample by sample in order.</summary>
    public static void AddChannelSums<T>(ReadOnlySpan<T> dy, int n, int channels, int plane, Span<T> db) where T : struct, IFloatingPointIeee754<T>
    {
        for (int s = 0; s < n; s++)
            for (int o = 0; o < channels; o++) db[o] += Reduce.Sum(dy.Slice((s * channels + o) * plane, plane));
    }
}
