using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>2-D max pooling of NCHW input. Same as <c>torch.nn.functional.max_pool2d</c>.</summary>
    /// <remarks>Forward <c>y[n, c, oy, ox] = max of x[n, c] over the window at (oy·stride - pad, ox·stride - pad)</c>, the
    /// padding counting as -∞. Backward <c>dx[argmax] += g</c>: the gradient goes to the first maximum of each window.
    /// <paramref name="ceilMode"/> rounds the output size up, as PyTorch: a last, partial window is kept if it starts inside
    /// the input or its left padding, and reads only the elements that exist.</remarks>
    /// <param name="input">[N, C, H, W].</param>
    /// <param name="kernelSize">The window's height and width.</param>
    /// <param name="stride">The step between windows; null means kernelSize (PyTorch's default).</param>
    /// <param name="padding">Implicit -∞ padding on each side; at most half the kernel size.</param>
    /// <param name="dilation">The spacing of the window's elements.</param>
    /// <param name="ceilMode">Round the output size up instead of down (PyTorch's <c>ceil_mode</c>).</param>
    /// <exception cref="ArgumentException">The input is not 4-D, or the window does not fit the padded input.</exception>
    public static Tensor MaxPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false) =>
        MaxPool2d(input, (kernelSize, kernelSize), stride is { } s ? (s, s) : null, (padding, padding), (dilation, dilation), ceilMode);

    /// <summary>2-D max pooling with separate height and width sizes. Same as <c>torch.nn.functional.max_pool2d</c> with tuples.</summary>
    /// <remarks>As <see cref="MaxPool2d(Tensor, int, int?, int, int, bool)"/>, along each axis with its own kernel size, stride,
    /// padding and dilation: output height <c>⌊(H + 2·padH - dilationH·(kH - 1) - 1) / strideH⌋ + 1</c> (the ceiling with
    /// <paramref name="ceilMode"/>, less one if that last window would start past the input and its left padding).</remarks>
    /// <param name="input">[N, C, H, W].</param>
    /// <param name="kernelSize">The window's (height, width).</param>
    /// <param name="stride">The (down, across) step between windows; null means kernelSize (PyTorch's default).</param>
    /// <param name="padding">Implicit -∞ padding, (top/bottom, left/right); each at most half the kernel's size along its axis.</param>
    /// <param name="dilation">The (down, across) spacing of the window's elements; null means (1, 1).</param>
    /// <param name="ceilMode">Round the output size up instead of down (PyTorch's <c>ceil_mode</c>).</param>
    /// <exception cref="ArgumentException">The input is not 4-D, a size is not positive, padding is negative or more than half
    /// the kernel, or the window does not fit the padded input.</exception>
    public static Tensor MaxPool2d(Tensor input, (int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W) padding = default,
        (int H, int W)? dilation = null, bool ceilMode = false)
    {
        const string op = "MaxPool2d";
        var win = PoolWindow(op, input, kernelSize, stride, padding, dilation ?? (1, 1), ceilMode);
        int n = input.Shape[0], c = input.Shape[1], h = input.Shape[2], w = input.Shape[3];
        var y = Compute.Empty(new Shape(n, c, win.OutH(h), win.OutW(w)), input.DType);
        var argmax = WinnerBuffer(y.Numel, input.DType);                                // saved for the backward
        Compute.Run(input.DType, new MaxPoolKernel(input, win, y, argmax));             // y = max over each window

        return Tape.Record(op, y, [input], "dx[argmax] += g", [(g, e) => MaxPool2dBackward(g, argmax, e.Inputs[0].Shape)]);
    }

    /// <summary>Validates a pooling window (PyTorch's rules: a 4-D input, stride defaulting to the kernel size, padding at
    /// most half the kernel) and returns its geometry; shared by MaxPool2d and AvgPool2d.</summary>
    private static Window2d PoolWindow(string op, Tensor input, (int H, int W) kernelSize, (int H, int W)? stride, (int H, int W) padding,
        (int H, int W) dilation, bool ceilMode)
    {
        Check.NotNull(op, input, nameof(input));
        Check.Rank(op, input, 4, "input [N, C, H, W]");
        static string Size((int H, int W) size) => size.H == size.W ? $"{size.H}" : $"({size.H}, {size.W})";
        if (2 * padding.H > kernelSize.H || 2 * padding.W > kernelSize.W)
            Check.Fail(op, $"padding {Size(padding)} must be at most half the kernel size {Size(kernelSize)} (input {input.Shape}).", nameof(padding));
        var s = stride ?? kernelSize;
        return Window(op, input, kernelSize.H, kernelSize.W, s, padding, dilation) with { CeilMode = ceilMode };
    }

    /// <summary>MaxPool2d's backward as an op of its own: zeros of the input's shape with g added at each window's winner.
    /// It is linear, and its backward reads the winners again (<see cref="MaxPoolGather"/>).</summary>
    private static Tensor MaxPool2dBackward(Tensor g, Tensor argmax, Shape inputShape)
    {
        var dx = Compute.Zeros(inputShape, g.DType);
        Compute.Run(g.DType, new MaxPoolScatterKernel(g, argmax, dx));                  // dx[argmax] += g

        return Tape.Record("MaxPool2dBackward", dx, [g], "dg += dy[argmax]", [(dy, e) => MaxPoolGather(dy, argmax, e.Inputs[0].Shape)]);
    }

    /// <summary>The winners of a max pooling read from another tensor of the input's shape, as a recorded op (the
    /// backward of <see cref="MaxPool2dBackward"/>, whose own backward is MaxPool2d's).</summary>
    private static Tensor MaxPoolGather(Tensor x, Tensor argmax, Shape outputShape)
    {
        var y = Compute.Empty(outputShape, x.DType);
        Compute.Run(x.DType, new MaxPoolGatherKernel(x, argmax, y));                    // y = x[argmax]

        return Tape.Record("MaxPool2d", y, [x], "dx[argmax] += g", [(g, e) => MaxPool2dBackward(g, argmax, e.Inputs[0].Shape)]);
    }

    private readonly struct MaxPoolKernel(Tensor x, Window2d win, Tensor y, Tensor argmax) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> =>
            Pooling.MaxPool<T>(x.Data<T>(), x.Shape[0] * x.Shape[1], x.Shape[2], x.Shape[3], win, y.Data<T>(), Indices<T>(argmax, y.Numel));
    }

    /// <summary><c>dx[n, c, argmax] += g[n, c]</c>, dx having the pooled input's shape.</summary>
    private readonly struct MaxPoolScatterKernel(Tensor g, Tensor argmax, Tensor dx) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> =>
            Pooling.MaxPoolBackward<T>(g.Data<T>(), Indices<T>(argmax, g.Numel), g.Shape[0] * g.Shape[1], dx.Shape[2] * dx.Shape[3],
                g.Shape[2] * g.Shape[3], dx.Data<T>());
    }

    /// <summary><c>y[n, c] = x[n, c, argmax]</c>, y having the pooled output's shape.</summary>
    private readonly struct MaxPoolGatherKernel(Tensor x, Tensor argmax, Tensor y) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> =>
            Pooling.GatherArgmax<T>(x.Data<T>(), Indices<T>(argmax, y.Numel), y.Shape[0] * y.Shape[1], x.Shape[2] * x.Shape[3],
                y.Shape[2] * y.Shape[3], y.Data<T>());
    }

    /// <summary>A buffer for <paramref name="count"/> winner indices (unspecified contents, every element gets written). It is a
    /// pooled tensor of the pooled input's dtype whose bits are read as ints (<see cref="Indices{T}"/>), owned by the current
    /// DisposeScope, so a training step reuses it like its activations instead of allocating megabytes of fresh ints each
    /// step (large-object-heap garbage that cost more than the pooling itself).</summary>
    private static Tensor WinnerBuffer(int count, DType dtype)
    {
        var buffer = Compute.Empty(new Shape(count), dtype);
        DisposeScope.Current?.Adopt(buffer);
        return buffer;
    }

    /// <summary>The <paramref name="count"/> winner indices held in a <see cref="WinnerBuffer"/> of element type T.</summary>
    private static Span<int> Indices<T>(Tensor winners, int count) where T : struct =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<T, int>(winners.Data<T>())[..count];
}
