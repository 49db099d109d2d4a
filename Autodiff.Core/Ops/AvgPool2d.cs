using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>2-D average pooling of NCHW input. Same as <c>torch.nn.functional.avg_pool2d</c>.</summary>
    /// <remarks>Forward <c>y[n, c, i, j] = Σ_window x / divisor</c> over the window at <c>(i·stride - pad, j·stride - pad)</c>,
    /// the padding counting as zeros; the divisor is <c>kernelSize²</c> when <paramref name="countIncludePad"/> (PyTorch's
    /// default), else the number of input elements in the window. Backward <c>dx[window] += g / divisor</c>.</remarks>
    /// <param name="input">[N, C, H, W].</param>
    /// <param name="kernelSize">The window's height and width.</param>
    /// <param name="stride">The step between windows; null means kernelSize (PyTorch's default).</param>
    /// <param name="padding">Implicit zero padding on each side; at most half the kernel size.</param>
    /// <param name="countIncludePad">Whether the padding counts in the divisor.</param>
    /// <exception cref="ArgumentException">The input is not 4-D, padding exceeds half the kernel, or the window does not fit the padded input.</exception>
    public static Tensor AvgPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true)
    {
        const string op = "AvgPool2d";
        var win = PoolWindow(op, input, kernelSize, stride, padding, dilation: 1);
        var rows = PoolAxis.Sliding(input.Shape[2], kernelSize, win.StrideH, padding, countIncludePad);
        var cols = PoolAxis.Sliding(input.Shape[3], kernelSize, win.StrideW, padding, countIncludePad);
        return AveragePool(op, input, rows, cols);
    }

    /// <summary>Averages each window of the grid <paramref name="rows"/> × <paramref name="cols"/>, recorded under <paramref name="op"/>:
    /// the body shared by AvgPool2d and AdaptiveAvgPool2d, which differ only in where their windows lie.</summary>
    private static Tensor AveragePool(string op, Tensor x, PoolAxis rows, PoolAxis cols)
    {
        var y = Compute.Empty(new Shape(x.Shape[0], x.Shape[1], rows.Start.Length, cols.Start.Length), x.DType);
        PoolAverages(x, rows, cols, y);                                                  // y = Σ_window x / count

        return Tape.Record(op, y, [x], "dx[window] += g/count", dy =>
            SpreadAverages(dy, rows, cols, x.GradBuffer()),                              // dx[window] += g / count
            dy => [AveragePoolTranspose(op, dy, x.Shape, rows, cols)]);
    }

    /// <summary>The backward of an average pooling as a recorded op (for <c>createGraph</c>): spreads g over each window.
    /// Pooling is linear, so this op's own backward is the pooling again.</summary>
    private static Tensor AveragePoolTranspose(string op, Tensor g, Shape inputShape, PoolAxis rows, PoolAxis cols)
    {
        var y = Compute.Zeros(inputShape, g.DType);
        SpreadAverages(g, rows, cols, y);                                                // y[window] += g / count

        return Tape.Record(op + "Backward", y, [g], "dg += avgpool(dy)", dy =>
        {
            var dg = Compute.Empty(g.Shape, g.DType);
            PoolAverages(dy, rows, cols, dg);                                            // dg += avgpool(dy)
            g.AccumulateGrad(dg, owned: true);
        },
        dy => [AveragePool(op, dy, rows, cols)]);
    }

    /// <summary><c>y = Σ_window x / count</c> for every window (every element of y is written).</summary>
    private static void PoolAverages(Tensor x, PoolAxis rows, PoolAxis cols, Tensor y)
    {
        int planes = x.Shape[0] * x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        if (y.DType == DType.Float32) AveragePooling.Forward<float>(x.F32, planes, h, w, rows, cols, y.F32);
        else AveragePooling.Forward<double>(x.F64, planes, h, w, rows, cols, y.F64);
    }

    /// <summary><c>destination[window] += g / count</c> for every window, destination being the pooled input's shape.</summary>
    private static void SpreadAverages(Tensor g, PoolAxis rows, PoolAxis cols, Tensor destination)
    {
        int planes = destination.Shape[0] * destination.Shape[1], h = destination.Shape[2], w = destination.Shape[3];
        if (g.DType == DType.Float32) AveragePooling.Backward<float>(g.F32, planes, h, w, rows, cols, destination.F32);
        else AveragePooling.Backward<double>(g.F64, planes, h, w, rows, cols, destination.F64);
    }
}
