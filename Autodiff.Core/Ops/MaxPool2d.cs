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
        var argmax = new int[y.Numel];
        if (y.DType == DType.Float32) Pooling.MaxPool<float>(input.F32, n * c, h, w, win, y.F32, argmax);   // y = max over each window
        else Pooling.MaxPool<double>(input.F64, n * c, h, w, win, y.F64, argmax);

        return Tape.Record(op, y, [input], "dx[argmax] += g", dy =>
        {
            var dx = input.GradBuffer();                                                 // dx[argmax] += g
            if (dx.DType == DType.Float32) Pooling.MaxPoolBackward<float>(dy.F32, argmax, n * c, h * w, oh * ow, dx.F32);
            else Pooling.MaxPoolBackward<double>(dy.F64, argmax, n * c, h * w, oh * ow, dx.F64);
        });
    }
}
