using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>2-D average pooling of NCHW input. Same as <c>torch.nn.functional.avg_pool2d</c>.</summary>
    /// <remarks>Forward <c>y[n, c, i, j] = Σ_window x / divisor</c> over the window at <c>(i·stride - pad, j·stride - pad)</c>,
    /// the padding counting as zeros; the divisor is <c>kernelSize²</c> when <paramref name="countIncludePad"/> (PyTorch's
    /// default), else the number of input elements in the window. Backward <c>dx[window] += g / divisor</c>.
    /// <paramref name="ceilMode"/> rounds the output size up, as PyTorch: a last, partial window is kept if it starts inside
    /// the input or its left padding; its divisor counts only the part inside the padded input (or only the input elements
    /// without <paramref name="countIncludePad"/>). With <paramref name="divisorOverride"/> every window, edge or not, is
    /// divided by that number instead (PyTorch's <c>divisor_override</c>), and its backward is <c>dx[window] += g / divisorOverride</c>.</remarks>
    /// <param name="input">[N, C, H, W].</param>
    /// <param name="kernelSize">The window's height and width.</param>
    /// <param name="stride">The step between windows; null means kernelSize (PyTorch's default).</param>
    /// <param name="padding">Implicit zero padding on each side; at most half the kernel size.</param>
    /// <param name="countIncludePad">Whether the padding counts in the divisor.</param>
    /// <param name="ceilMode">Round the output size up instead of down (PyTorch's <c>ceil_mode</c>).</param>
    /// <param name="divisorOverride">The divisor of every window in place of its size; null (the default) for the size.</param>
    /// <exception cref="ArgumentException">The input is not 4-D, padding exceeds half the kernel, the window does not fit
    /// the padded input, or divisorOverride is 0.</exception>
    public static Tensor AvgPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true, bool ceilMode = false,
        int? divisorOverride = null) =>
        AvgPool2d(input, (kernelSize, kernelSize), stride is { } s ? (s, s) : null, (padding, padding), countIncludePad, ceilMode, divisorOverride);

    /// <summary>2-D average pooling with separate height and width sizes. Same as <c>torch.nn.functional.avg_pool2d</c> with tuples.</summary>
    /// <remarks>As <see cref="AvgPool2d(Tensor, int, int?, int, bool, bool, int?)"/>, along each axis with its own kernel size, stride
    /// and padding; the divisor with <paramref name="countIncludePad"/> is <c>kH·kW</c> (clipped to the padded input), or
    /// <paramref name="divisorOverride"/> for every window when given.</remarks>
    /// <param name="input">[N, C, H, W].</param>
    /// <param name="kernelSize">The window's (height, width).</param>
    /// <param name="stride">The (down, across) step between windows; null means kernelSize (PyTorch's default).</param>
    /// <param name="padding">Implicit zero padding, (top/bottom, left/right); each at most half the kernel's size along its axis.</param>
    /// <param name="countIncludePad">Whether the padding counts in the divisor.</param>
    /// <param name="ceilMode">Round the output size up instead of down (PyTorch's <c>ceil_mode</c>).</param>
    /// <param name="divisorOverride">The divisor of every window in place of its size; null (the default) for the size.</param>
    /// <exception cref="ArgumentException">The input is not 4-D, a size is not positive, padding is negative or more than half
    /// the kernel, the window does not fit the padded input, or divisorOverride is 0.</exception>
    public static Tensor AvgPool2d(Tensor input, (int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W) padding = default,
        bool countIncludePad = true, bool ceilMode = false, int? divisorOverride = null)
    {
        const string op = "AvgPool2d";
        var win = PoolWindow(op, input, kernelSize, stride, padding, (1, 1), ceilMode);
        CheckDivisorOverride(op, divisorOverride);
        var rows = PoolAxis.Sliding(input.Shape[2], win.KernelH, win.StrideH, win.PadH, countIncludePad, ceilMode);
        var cols = PoolAxis.Sliding(input.Shape[3], win.KernelW, win.StrideW, win.PadW, countIncludePad, ceilMode);
        if (divisorOverride is { } divisor)                                              // a window divides by rows.Count · cols.Count
            (rows, cols) = (rows with { Count = Array.ConvertAll(rows.Count, _ => divisor) }, cols with { Count = Array.ConvertAll(cols.Count, _ => 1) });
        return AveragePool(op, input, rows, cols);
    }

    /// <summary>Checks PyTorch's one condition on <c>divisor_override</c>: not zero (a negative divisor is allowed, as there).</summary>
    /// <exception cref="ArgumentException">The divisor is 0.</exception>
    internal static void CheckDivisorOverride(string op, int? divisorOverride)
    {
        if (divisorOverride == 0) Check.Fail(op, "divisorOverride must not be zero; pass null to divide by the window size.", nameof(divisorOverride));
    }

    /// <summary>Averages each window of the grid <paramref name="rows"/> × <paramref name="cols"/>, recorded under <paramref name="op"/>:
    /// the body shared by AvgPool2d and AdaptiveAvgPool2d, which differ only in where their windows lie.</summary>
    private static Tensor AveragePool(string op, Tensor x, PoolAxis rows, PoolAxis cols)
    {
        var y = Compute.Empty(new Shape(x.Shape[0], x.Shape[1], rows.Start.Length, cols.Start.Length), x.DType);
        Compute.Run(x.DType, new AveragePoolKernel(x, rows, cols, y));                  // y = Σ_window x / count

        return Tape.Record(op, y, [x], "dx[window] += g/count", [(g, e) => AveragePoolBackward(op, g, e.Inputs[0].Shape, rows, cols)]);
    }

    /// <summary>The backward of an average pooling as an op of its own: spreads g over each window, <c>dx[window] += g / count</c>.
    /// Pooling is linear, so this op's own backward is the pooling again.</summary>
    private static Tensor AveragePoolBackward(string op, Tensor g, Shape inputShape, PoolAxis rows, PoolAxis cols)
    {
        var dx = Compute.Zeros(inputShape, g.DType);
        Compute.Run(g.DType, new AveragePoolSpreadKernel(g, rows, cols, dx));           // dx[window] += g / count

        return Tape.Record(op == "AvgPool2d" ? "AvgPool2dBackward" : "AdaptiveAvgPool2dBackward", dx, [g], "dg += avgpool(dy)",
            [(dy, _) => AveragePool(op, dy, rows, cols)]);
    }

    /// <summary><c>y = Σ_window x / count</c> for every window (every element of y is written).</summary>
    private readonly struct AveragePoolKernel(Tensor x, PoolAxis rows, PoolAxis cols, Tensor y) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> =>
            AveragePooling.Forward<T>(x.Data<T>(), x.Shape[0] * x.Shape[1], x.Shape[2], x.Shape[3], rows, cols, y.Data<T>());
    }

    /// <summary><c>dx[window] += g / count</c> for every window, dx having the pooled input's shape.</summary>
    private readonly struct AveragePoolSpreadKernel(Tensor g, PoolAxis rows, PoolAxis cols, Tensor dx) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> =>
            AveragePooling.Backward<T>(g.Data<T>(), dx.Shape[0] * dx.Shape[1], dx.Shape[2], dx.Shape[3], rows, cols, dx.Data<T>());
    }
}
