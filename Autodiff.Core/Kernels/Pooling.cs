using System.Numerics;

namespace Autodiff.Kernels;

/// <summary>Max pooling over NCHW planes: the forward keeps which input won each window, the backward sends the gradient there.</summary>
internal static class Pooling
{
    /// <summary><c>y[p, oy, ox] = max over the window of x[p]</c> (padding counts as -∞), and <c>argmax</c> = the flat
    /// index in the input plane of the first maximum; a NaN in the window wins, as in PyTorch.</summary>
    public static void MaxPool<T>(ReadOnlySpan<T> x, int planes, int h, int w, Window2d win, Span<T> y, Span<int> argmax)
        where T : struct, IFloatingPointIeee754<T>
    {
        int oh = win.OutH(h), ow = win.OutW(w);
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

    /// <summary><c>dx[p, argmax[o]] += dy[o]</c> for each output o of plane p, in order.</summary>
    public static void MaxPoolBackward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<int> argmax, int planes, int inPlane, int outPlane, Span<T> dx)
        where T : struct, IFloatingPointIeee754<T>
    {
        for (int p = 0; p < planes; p++)
            for (int o = 0; o < outPlane; o++) dx[p * inPlane + argmax[p * outPlane + o]] += dy[p * outPlane + o];
    }
}
