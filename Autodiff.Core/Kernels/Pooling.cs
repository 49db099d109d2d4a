using System.Numerics;
using System.Runtime.InteropServices;

namespace Autodiff.Kernels;

/// <summary>Max pooling over NCHW planes: the forward keeps which input won each window, the backward sends the gradient there.</summary>
internal static class Pooling
{
    /// <summary>Below this many input elements (1 MB of float32) pooling runs on the calling thread. Chosen, not measured:
    /// the CNN's pooled inputs (3-13 MB) are far above it.</summary>
    private const int ParallelMinInputs = 1 << 18;

    /// <summary><c>y[p, oy, ox] = max over the window of x[p]</c> (padding, and with ceil mode whatever lies past the input,
    /// counts as -∞), and <c>argmax</c> = the flat index in the input plane of the first maximum; a NaN in the window wins, as
    /// in PyTorch. A window holding no input element (possible only with a large dilation) gives -∞ and argmax -1, which
    /// the backward skips. Threads take disjoint runs
    /// of planes when the input is large.</summary>
    public static unsafe void MaxPool<T>(ReadOnlySpan<T> x, int planes, int h, int w, Window2d win, Span<T> y, Span<int> argmax)
        where T : struct, IFloatingPointIeee754<T>
    {
        int parts = Parts.Count(planes, x.Length < ParallelMinInputs);
        if (parts == 1)
        {
            MaxPoolPlanes(x, planes, h, w, win, y, argmax);
            return;
        }
        int inPlane = h * w, outPlane = win.OutH(h) * win.OutW(w);
        fixed (byte* px = MemoryMarshal.AsBytes(x), py = MemoryMarshal.AsBytes(y), pa = MemoryMarshal.AsBytes(argmax))
        {
            var (xs, ys, winners) = (new Pinned<T>(px, x.Length), new Pinned<T>(py, y.Length), new Pinned<int>(pa, argmax.Length));
            Parts.For(planes, parts, (first, end) => MaxPoolPlanes<T>(xs.Span.Slice(first * inPlane, (end - first) * inPlane), end - first,
                h, w, win, ys.Span.Slice(first * outPlane, (end - first) * outPlane), winners.Span.Slice(first * outPlane, (end - first) * outPlane)));
        }
    }

    /// <summary><c>dx[p, argmax[p, o]] += dy[p, o]</c> for each output o of plane p, in order; threads take disjoint runs
    /// of planes when dx is large.</summary>
    public static unsafe void MaxPoolBackward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<int> argmax, int planes, int inPlane, int outPlane, Span<T> dx)
        where T : struct, IFloatingPointIeee754<T>
    {
        int parts = Parts.Count(planes, dx.Length < ParallelMinInputs);
        if (parts == 1)
        {
            ScatterPlanes(dy, argmax, planes, inPlane, outPlane, dx);
            return;
        }
        fixed (byte* pdy = MemoryMarshal.AsBytes(dy), pa = MemoryMarshal.AsBytes(argmax), pdx = MemoryMarshal.AsBytes(dx))
        {
            var (dys, winners, dxs) = (new Pinned<T>(pdy, dy.Length), new Pinned<int>(pa, argmax.Length), new Pinned<T>(pdx, dx.Length));
            Parts.For(planes, parts, (first, end) => ScatterPlanes<T>(dys.Span.Slice(first * outPlane, (end - first) * outPlane),
                winners.Span.Slice(first * outPlane, (end - first) * outPlane), end - first, inPlane, outPlane,
                dxs.Span.Slice(first * inPlane, (end - first) * inPlane)));
        }
    }

    private static void MaxPoolPlanes<T>(ReadOnlySpan<T> x, int planes, int h, int w, Window2d win, Span<T> y, Span<int> argmax)
        where T : struct, IFloatingPointIeee754<T>
    {
        int oh = win.OutH(h), ow = win.OutW(w);
        if (win is { KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2, PadH: 0, PadW: 0, DilationH: 1, DilationW: 1 } && oh == h / 2 && ow == w / 2)
        {
            MaxPool2x2(x, planes, h, w, y, argmax);
            return;
        }
        for (int p = 0; p < planes; p++)
        {
            var plane = x.Slice(p * h * w, h * w);
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                {
                    T best = T.NegativeInfinity;
                    int at = -1;
                    for (int i = 0; i < win.KernelH; i++)
                    {
                        int iy = oy * win.StrideH - win.PadH + i * win.DilationH;
                        if ((uint)iy >= (uint)h) continue;
                        for (int j = 0; j < win.KernelW; j++)
                        {
                            int ix = ox * win.StrideW - win.PadW + j * win.DilationW;
                            if ((uint)ix >= (uint)w) continue;
                            T v = plane[iy * w + ix];
                            if (at < 0 || (!T.IsNaN(best) && (v > best || T.IsNaN(v)))) (best, at) = (v, iy * w + ix);
                        }
                    }
                    int o = (p * oh + oy) * ow + ox;
                    (y[o], argmax[o]) = (best, at);
                }
        }
    }

    /// <summary>The common 2x2 window at stride 2 without padding or dilation: every window lies inside the
    /// plane, so the four candidates are read directly, in the same row-major order and with the same tie and NaN rules.</summary>
    /// <remarks>The winner is chosen without branches (<see cref="Pick{T}"/>): on real activations which of the four wins is
    /// random, and mispredicted branches made this loop three times slower than its memory traffic.</remarks>
    private static void MaxPool2x2<T>(ReadOnlySpan<T> x, int planes, int h, int w, Span<T> y, Span<int> argmax)
        where T : struct, IFloatingPointIeee754<T>
    {
        int oh = h / 2, ow = w / 2;
        for (int p = 0; p < planes; p++)
        {
            var plane = x.Slice(p * h * w, h * w);
            for (int oy = 0; oy < oh; oy++)
            {
                int r0 = 2 * oy * w, r1 = r0 + w, o = (p * oh + oy) * ow;
                for (int ox = 0; ox < ow; ox++)
                {
                    int at = r0 + 2 * ox;
                    at = Pick(plane, at, at + 1);
                    at = Pick(plane, at, r1 + 2 * ox);
                    at = Pick(plane, at, r1 + 2 * ox + 1);
                    (y[o + ox], argmax[o + ox]) = (plane[at], at);
                }
            }
        }
    }

    /// <summary>The index of the winner between the current one <paramref name="at"/> and <paramref name="candidate"/>: the
    /// candidate wins if strictly greater (so the first maximum wins a tie) or NaN, unless the current one is NaN.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static int Pick<T>(ReadOnlySpan<T> plane, int at, int candidate) where T : struct, IFloatingPointIeee754<T>
    {
        T best = plane[at], v = plane[candidate];
        bool take = !T.IsNaN(best) & (v > best | T.IsNaN(v));                           // & and |: no branch
        int mask = -System.Runtime.CompilerServices.Unsafe.As<bool, byte>(ref take);    // 0 or all ones
        return at ^ ((at ^ candidate) & mask);
    }

    /// <summary><c>y[p, o] = x[p, argmax[p, o]]</c>: reads the winners again (the adjoint of <see cref="MaxPoolBackward{T}"/>).</summary>
    public static void GatherArgmax<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> argmax, int planes, int inPlane, int outPlane, Span<T> y)
        where T : struct, IFloatingPointIeee754<T>
    {
        for (int p = 0; p < planes; p++)
            for (int o = 0; o < outPlane; o++)
            {
                int at = argmax[p * outPlane + o];
                y[p * outPlane + o] = at >= 0 ? x[p * inPlane + at] : T.Zero;      // an empty window's -∞ is a constant
            }
    }

    private static void ScatterPlanes<T>(ReadOnlySpan<T> dy, ReadOnlySpan<int> argmax, int planes, int inPlane, int outPlane, Span<T> dx)
        where T : struct, IFloatingPointIeee754<T>
    {
        for (int p = 0; p < planes; p++)
            for (int o = 0; o < outPlane; o++)
            {
                int at = argmax[p * outPlane + o];
                if (at >= 0) dx[p * inPlane + at] += dy[p * outPlane + o];        // -1: an empty window, no input to credit
            }
    }
}

/// <summary>One axis of an average-pooling grid: output <c>i</c> averages input positions <c>[Start[i], End[i])</c> and
/// divides by <c>Count[i]</c> along this axis (a window's divisor is the product of its two axes' counts).</summary>
internal sealed record PoolAxis(int[] Start, int[] End, int[] Count)
{
    /// <summary>Sliding windows as PyTorch's avg_pool2d: window i covers <c>[i·stride - pad, i·stride - pad + kernel)</c> of
    /// the padded axis, clipped to the input; the count is the padded window's size (itself clipped to the padded axis, as
    /// a ceil-mode window may run past it) when padding counts, else the clipped one. <paramref name="ceilMode"/> rounds
    /// the number of windows up (<see cref="Window2d.OutSize"/>).</summary>
    public static PoolAxis Sliding(int size, int kernel, int stride, int pad, bool countIncludePad, bool ceilMode = false)
    {
        int outSize = Window2d.OutSize(size, kernel, stride, pad, 1, ceilMode);
        var (start, end, count) = (new int[outSize], new int[outSize], new int[outSize]);
        for (int i = 0; i < outSize; i++)
        {
            int from = i * stride - pad, to = Math.Min(from + kernel, size + pad);
            (start[i], end[i]) = (Math.Max(from, 0), Math.Min(to, size));
            count[i] = countIncludePad ? to - from : end[i] - start[i];
        }
        return new PoolAxis(start, end, count);
    }

    /// <summary>Adaptive windows as PyTorch's adaptive_avg_pool2d: window i covers <c>[⌊i·size/out⌋, ⌈(i+1)·size/out⌉)</c>.</summary>
    public static PoolAxis Adaptive(int size, int outSize)
    {
        var (start, end, count) = (new int[outSize], new int[outSize], new int[outSize]);
        for (int i = 0; i < outSize; i++)
        {
            start[i] = (int)((long)i * size / outSize);
            end[i] = (int)(((long)(i + 1) * size + outSize - 1) / outSize);
            count[i] = end[i] - start[i];
        }
        return new PoolAxis(start, end, count);
    }
}

/// <summary>Average pooling over NCHW planes, for any window grid (sliding or adaptive) given as two <see cref="PoolAxis"/>.</summary>
internal static class AveragePooling
{
    /// <summary><c>y[p, i, j] = Σ x[p, rows i, cols j] / (rows.Count[i] · cols.Count[j])</c>.</summary>
    public static void Forward<T>(ReadOnlySpan<T> x, int planes, int h, int w, PoolAxis rows, PoolAxis cols, Span<T> y)
        where T : struct, IFloatingPointIeee754<T>
    {
        int oh = rows.Start.Length, ow = cols.Start.Length;
        for (int p = 0; p < planes; p++)
        {
            var plane = x.Slice(p * h * w, h * w);
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    T sum = T.Zero;
                    for (int iy = rows.Start[i]; iy < rows.End[i]; iy++)
                        for (int ix = cols.Start[j]; ix < cols.End[j]; ix++) sum += plane[iy * w + ix];
                    y[(p * oh + i) * ow + j] = sum / T.CreateChecked(rows.Count[i] * cols.Count[j]);
                }
        }
    }

    /// <summary><c>dx[p, rows i, cols j] += dy[p, i, j] / (rows.Count[i] · cols.Count[j])</c>, outputs in order.</summary>
    public static void Backward<T>(ReadOnlySpan<T> dy, int planes, int h, int w, PoolAxis rows, PoolAxis cols, Span<T> dx)
        where T : struct, IFloatingPointIeee754<T>
    {
        int oh = rows.Start.Length, ow = cols.Start.Length;
        for (int p = 0; p < planes; p++)
        {
            var plane = dx.Slice(p * h * w, h * w);
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    T share = dy[(p * oh + i) * ow + j] / T.CreateChecked(rows.Count[i] * cols.Count[j]);
                    for (int iy = rows.Start[i]; iy < rows.End[i]; iy++)
                        for (int ix = cols.Start[j]; ix < cols.End[j]; ix++) plane[iy * w + ix] += share;
                }
        }
    }
}
