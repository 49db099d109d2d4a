using System.Numerics;

namespace Autodiff.Kernels;

/// <summary>The geometry of a 2-D convolution or pooling window over NCHW data.</summary>
internal readonly record struct Window2d(int KernelH, int KernelW, int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW)
{
    public int OutH(int h) => (h + 2 * PadH - DilationH * (KernelH - 1) - 1) / StrideH + 1;

    public int OutW(int w) => (w + 2 * PadW - DilationW * (KernelW - 1) - 1) / StrideW + 1;
}

/// <summary>im2col and its adjoint col2im: a convolution becomes one matrix product per group.</summary>
/// <remarks>
/// For samples <c>[N, C, H, W]</c> the column matrix is <c>[C·kH·kW, N·oH·oW]</c>: row <c>(c, i, j)</c>, column
/// <c>(n, y, x)</c> holds <c>input[n, c, y·sH - pH + i·dH, x·sW - pW + j·dW]</c>, or 0 in the padding. Then
/// <c>out[o, (n, y, x)] = Σ_row W[o, row] · col[row, (n, y, x)]</c> is a GEMM of <c>[O, C·kH·kW] · [C·kH·kW, N·oH·oW]</c>.
/// </remarks>
internal static class Convolution
{
    /// <summary>Writes every element of <paramref name="col"/> from channels <c>[c0, c0 + channels)</c> of <paramref name="input"/>.</summary>
    public static void Im2Col<T>(ReadOnlySpan<T> input, int n, int c, int h, int w, int c0, int channels, Window2d win, Span<T> col)
        where T : struct, IFloatingPointIeee754<T>
    {
        int oh = win.OutH(h), ow = win.OutW(w), columns = n * oh * ow;
        for (int ch = 0; ch < channels; ch++)
            for (int i = 0; i < win.KernelH; i++)
                for (int j = 0; j < win.KernelW; j++)
                {
                    var row = col.Slice(((ch * win.KernelH + i) * win.KernelW + j) * columns, columns);
                    for (int s = 0; s < n; s++)
                    {
                        var plane = input.Slice(((s * c) + c0 + ch) * h * w, h * w);
                        for (int y = 0; y < oh; y++)
                        {
                            var dst = row.Slice((s * oh + y) * ow, ow);
                            int iy = y * win.StrideH - win.PadH + i * win.DilationH;
                            if ((uint)iy >= (uint)h) { dst.Clear(); continue; }
                            var src = plane.Slice(iy * w, w);
                            int x0 = j * win.DilationW - win.PadW;
                            for (int x = 0; x < ow; x++)
                            {
                                int ix = x0 + x * win.StrideW;
                                dst[x] = (uint)ix < (uint)w ? src[ix] : T.Zero;
                            }
                        }
                    }
                }
    }

    /// <summary>The adjoint of <see cref="Im2Col{T}"/>: adds each element of <paramref name="col"/> back into the input
    /// position it was read from (positions read by several windows sum their contributions, in a fixed order).</summary>
    public static void Col2ImAdd<T>(ReadOnlySpan<T> col, int n, int c, int h, int w, int c0, int channels, Window2d win, Span<T> input)
        where T : struct, IFloatingPointIeee754<T>
    {
        int oh = win.OutH(h), ow = win.OutW(w), columns = n * oh * ow;
        for (int ch = 0; ch < channels; ch++)
            for (int i = 0; i < win.KernelH; i++)
                for (int j = 0; j < win.KernelW; j++)
                {
                    var row = col.Slice(((ch * win.KernelH + i) * win.KernelW + j) * columns, columns);
                    for (int s = 0; s < n; s++)
                    {
                        var plane = input.Slice(((s * c) + c0 + ch) * h * w, h * w);
                        for (int y = 0; y < oh; y++)
                        {
                            int iy = y * win.StrideH - win.PadH + i * win.DilationH;
                            if ((uint)iy >= (uint)h) continue;
                            var src = row.Slice((s * oh + y) * ow, ow);
                            var dst = plane.Slice(iy * w, w);
                            int x0 = j * win.DilationW - win.PadW;
                            for (int x = 0; x < ow; x++)
                            {
                                int ix = x0 + x * win.StrideW;
                                if ((uint)ix < (uint)w) dst[ix] += src[x];
                            }
                        }
                    }
                }
    }

    /// <summary><c>y[s, o0 + o, p] (+)= m[o, s·P + p]</c>: a GEMM result laid out <c>[O, N·P]</c> moved into NCHW <c>[N, O_total, P]</c>.</summary>
    public static void ColumnsToNchw<T>(ReadOnlySpan<T> m, int n, int outChannels, int o0, int rows, int plane, Span<T> y, bool accumulate)
        where T : struct, IFloatingPointIeee754<T>
    {
        for (int o = 0; o < rows; o++)
            for (int s = 0; s < n; s++)
            {
                var src = m.Slice((o * n + s) * plane, plane);
                var dst = y.Slice((s * outChannels + o0 + o) * plane, plane);
                if (accumulate) System.Numerics.Tensors.TensorPrimitives.Add(dst, src, dst); else src.CopyTo(dst);
            }
    }

    /// <summary><c>m[o, s·P + p] = y[s, o0 + o, p]</c>: the inverse layout move of <see cref="ColumnsToNchw{T}"/>.</summary>
    public static void NchwToColumns<T>(ReadOnlySpan<T> y, int n, int outChannels, int o0, int rows, int plane, Span<T> m)
        where T : struct, IFloatingPointIeee754<T>
    {
        for (int o = 0; o < rows; o++)
            for (int s = 0; s < n; s++)
                y.Slice((s * outChannels + o0 + o) * plane, plane).CopyTo(m.Slice((o * n + s) * plane, plane));
    }

    /// <summary><c>y[s, o, p] += b[o]</c> for NCHW y.</summary>
    public static void AddChannelBias<T>(Span<T> y, ReadOnlySpan<T> b, int n, int plane) where T : struct, IFloatingPointIeee754<T>
    {
        for (int s = 0; s < n; s++)
            for (int o = 0; o < b.Length; o++)
                System.Numerics.Tensors.TensorPrimitives.Add(y.Slice((s * b.Length + o) * plane, plane), b[o], y.Slice((s * b.Length + o) * plane, plane));
    }

    /// <summary><c>db[o] += Σ_{s, p} dy[s, o, p]</c>, summed sample by sample in order.</summary>
    public static void AddChannelSums<T>(ReadOnlySpan<T> dy, int n, int channels, int plane, Span<T> db) where T : struct, IFloatingPointIeee754<T>
    {
        for (int s = 0; s < n; s++)
            for (int o = 0; o < channels; o++) db[o] += Reduce.Sum(dy.Slice((s * channels + o) * plane, plane));
    }
}
