using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>2-D max pooling of NCHW input. Same as <c>torch.nn.functional.max_pool2d</c>.</summary>
    /// <remarks>Forward <c>y[n, c, oy, ox] = max of x[n, c] over the window at (oy·stride - pad, ox·stride - pad)</c>, the
    /// padding counting as -∞. Backward <c>dx[argmax] += g</c>: the gradient goes to the first maximum of each window.</remarks>
    /// <param name="input">[N, C, H, W].</param>
    /// <param name="kernelSize">The window's height and width.</param>
    /// <param name="stride">The step between windows; null means kernelSize (PyTorch's default).</param>
    /// <param name="padding">Implicit -∞ padding on each side; at most half the kernel size.</param>
    /// <param name="dilation">The spacing of the window's elements.</param>
    /// <exception cref="ArgumentException">The input is not 4-D, or the window does not fit the padded input.</exception>
    public static Tensor MaxPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, int dilation = 1)
    {
        const string op = "MaxPool2d";
        var win = PoolWindow(op, input, kernelSize, stride, padding, dilation);
        int n = input.Shape[0], c = input.Shape[1], h = input.Shape[2], w = input.Shape[3], oh = win.OutH(h), ow = win.OutW(w);
        var y = Compute.Empty(new Shape(n, c, oh, ow), input.DType);
        var argmax = WinnerBuffer(y.Numel);                                              // saved for the backward
        int inPlane = h * w, outPlane = oh * ow;
        ForEachPlaneRun(n * c, input.Numel, (first, count) =>                           // y = max over each window
        {
            var winners = Indices(argmax).Slice(first * outPlane, count * outPlane);
            if (y.DType == DType.Float32)
                Pooling.MaxPool<float>(input.F32.Slice(first * inPlane, count * inPlane), count, h, w, win, y.F32.Slice(first * outPlane, count * outPlane), winners);
            else
                Pooling.MaxPool<double>(input.F64.Slice(first * inPlane, count * inPlane), count, h, w, win, y.F64.Slice(first * outPlane, count * outPlane), winners);
        });

        return Tape.Record(op, y, [input], "dx[argmax] += g", dy =>
            ScatterToArgmax(dy, argmax, input.GradBuffer()),                            // dx[argmax] += g
            dy => [MaxPoolScatter(dy, argmax, input.Shape)]);
    }

    /// <summary>MaxPool2d's backward as a recorded op (for <c>createGraph</c>): zeros of the input's shape with g added at
    /// each window's winner. It is linear, and its backward reads the winners again (<see cref="MaxPoolGather"/>).</summary>
    private static Tensor MaxPoolScatter(Tensor g, Tensor argmax, Shape inputShape)
    {
        var y = Compute.Zeros(inputShape, g.DType);
        ScatterToArgmax(g, argmax, y);                                                   // y[argmax] += g

        return Tape.Record("MaxPool2dBackward", y, [g], "dg += dy[argmax]", dy =>
            g.AccumulateGrad(GatherAtArgmax(dy, argmax, g.Shape), owned: true),         // dg += dy[argmax]
            dy => [MaxPoolGather(dy, argmax, g.Shape)]);
    }

    /// <summary>The winners of a max pooling read from another tensor of the input's shape, as a recorded op (the
    /// differentiable backward of <see cref="MaxPoolScatter"/>).</summary>
    private static Tensor MaxPoolGather(Tensor x, Tensor argmax, Shape outputShape)
    {
        var y = GatherAtArgmax(x, argmax, outputShape);                                   // y = x[argmax]

        return Tape.Record("MaxPool2d", y, [x], "dx[argmax] += g", dy =>
            ScatterToArgmax(dy, argmax, x.GradBuffer()),                                // dx[argmax] += g
            dy => [MaxPoolScatter(dy, argmax, x.Shape)]);
    }

    /// <summary><c>destination[n, c, argmax] += g[n, c]</c>, destination having the pooled input's shape.</summary>
    private static void ScatterToArgmax(Tensor g, Tensor argmax, Tensor destination)
    {
        int planes = g.Shape[0] * g.Shape[1], inPlane = destination.Shape[2] * destination.Shape[3], outPlane = g.Shape[2] * g.Shape[3];
        ForEachPlaneRun(planes, destination.Numel, (first, count) =>
        {
            var winners = Indices(argmax).Slice(first * outPlane, count * outPlane);
            if (g.DType == DType.Float32)
                Pooling.MaxPoolBackward<float>(g.F32.Slice(first * outPlane, count * outPlane), winners, count, inPlane, outPlane,
                    destination.F32.Slice(first * inPlane, count * inPlane));
            else
                Pooling.MaxPoolBackward<double>(g.F64.Slice(first * outPlane, count * outPlane), winners, count, inPlane, outPlane,
                    destination.F64.Slice(first * inPlane, count * inPlane));
        });
    }

    /// <summary>Calls <c>body(first, count)</c> on disjoint runs of planes covering <c>[0, planes)</c>: one run per thread
    /// when the pooled input has at least 2¹⁸ elements, else one. The threshold (1 MB of float32) was chosen, not measured:
    /// the CNN's pooled inputs (3-13 MB) are far above it. Planes are independent, so the result does not depend on the
    /// thread count.</summary>
    private static void ForEachPlaneRun(int planes, int inputElements, Action<int, int> body)
    {
        int parts = inputElements < 1 << 18 ? 1 : Math.Max(1, Math.Min(Threading.Available, planes));
        Threading.For(parts, p =>
        {
            int first = (int)((long)p * planes / parts), end = (int)((long)(p + 1) * planes / parts);
            body(first, end - first);
        });
    }

    /// <summary>A new tensor of <paramref name="outputShape"/> holding <c>x[n, c, argmax]</c>.</summary>
    private static Tensor GatherAtArgmax(Tensor x, Tensor argmax, Shape outputShape)
    {
        var y = Compute.Empty(outputShape, x.DType);
        int planes = outputShape[0] * outputShape[1], inPlane = x.Shape[2] * x.Shape[3], outPlane = outputShape[2] * outputShape[3];
        if (y.DType == DType.Float32) Pooling.GatherArgmax<float>(x.F32, Indices(argmax), planes, inPlane, outPlane, y.F32);
        else Pooling.GatherArgmax<double>(x.F64, Indices(argmax), planes, inPlane, outPlane, y.F64);
        return y;
    }

    /// <summary>A buffer for <paramref name="count"/> winner indices (unspecified contents, every element gets written). It is a
    /// pooled Float32 tensor whose bits are read as ints, owned by the current DisposeScope, so a training step reuses it like
    /// its activations instead of allocating megabytes of fresh ints each step (large-object-heap garbage that cost more than
    /// the pooling itself).</summary>
    private static Tensor WinnerBuffer(int count)
    {
        var buffer = Compute.Empty(new Shape(count), DType.Float32);
        DisposeScope.Current?.Adopt(buffer);
        return buffer;
    }

    /// <summary>The winner indices held in a <see cref="WinnerBuffer"/>.</summary>
    private static Span<int> Indices(Tensor winners) => System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(winners.F32);
}
