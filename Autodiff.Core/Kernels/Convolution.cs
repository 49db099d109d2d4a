using System.Numerics;

namespace Autodiff.Kernels;

/// <summary>The geometry of a 2-D convolution or pooling window over NCHW data.</summary>
internal readonly record struct Window2d(int KernelH, int KernelW, int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW)
{
    public int OutH(int h) => (h + 2 * PadH - DilationH * (KernelH - 1) - 1) / StrideH + 1;

    public int OutW(int w) => (w + 2 * PadW - DilationW * (KernelW - 1) - 1) / StrideW + 1;

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

/// <summary>im2col and its adjoint col2im for one sample: a convolution becomes one matrix product per sample and group.</summary>
/// <remarks>
/// For a sample <c>[C, H, W]</c> the column matrix is <c>[C·kH·kW, oH·oW]</c>: row <c>(c, i, j)</c>, column <c>(y, x)</c>
/// holds <c>input[c, y·sH - pH + i·dH, x·sW - pW + j·dW]</c>, or 0 in the padding. Then
/// <c>out[o, (y, x)] = Σ_row W[o, row] · col[row, (y, x)]</c> is a GEMM of <c>[O, C·kH·kW] · [C·kH·kW, oH·oW]</c> whose
/// result is already the sample's NCHW output. One sample's columns stay in cache between im2col and the GEMM.
/// </remarks>
internal static class Convolution
{
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
