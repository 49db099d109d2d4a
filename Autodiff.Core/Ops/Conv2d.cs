using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>2-D convolution (cross-correlation) of NCHW input. Same as <c>torch.nn.functional.conv2d</c>.</summary>
    /// <remarks>
    /// <para>input <c>[N, C, H, W]</c>, weight <c>[O, C/groups, kH, kW]</c>, bias <c>[O]</c> or null; output
    /// <c>[N, O, oH, oW]</c> with <c>oH = ⌊(H + 2·padH - dilH·(kH-1) - 1)/strideH⌋ + 1</c> (likewise oW).</para>
    /// <para>Forward, per sample and group: <c>Y = W · im2col(X) + b</c>, one matrix product each. Backward
    /// <c>dW += dY · im2col(X)ᵀ</c>, <c>dX += col2im(Wᵀ · dY)</c>, <c>db += Σ_{n,y,x} dY</c>, samples in order.</para>
    /// </remarks>
    /// <exception cref="ArgumentException">Ranks, channels, groups, bias shape, dtypes, or a window larger than the padded input.</exception>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        Conv2d(input, weight, bias, (stride, stride), (padding, padding), (dilation, dilation), groups);

    /// <summary>2-D convolution with separate height and width stride, padding and dilation.</summary>
    /// <inheritdoc cref="Conv2d(Tensor, Tensor, Tensor?, int, int, int, int)"/>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, (int H, int W) stride, (int H, int W) padding,
        (int H, int W) dilation, int groups = 1)
    {
        const string op = "Conv2d";
        Check.NotNull(op, input, nameof(input));
        Check.NotNull(op, weight, nameof(weight));
        Check.Rank(op, input, 4, "input [N, C, H, W]");
        Check.Rank(op, weight, 4, "weight [O, C/groups, kH, kW]");
        Check.SameDType(op, input, weight);
        int n = input.Shape[0], c = input.Shape[1], h = input.Shape[2], w = input.Shape[3];
        int o = weight.Shape[0], cg = weight.Shape[1];
        if (groups < 1 || c % groups != 0 || o % groups != 0)
            Check.Fail(op, $"groups {groups} must divide input channels {c} and output channels {o} (input {input.Shape}, weight {weight.Shape}).", nameof(groups));
        if (cg != c / groups)
            Check.Fail(op, $"weight {weight.Shape} expects {cg * groups} input channels with groups {groups}, but input {input.Shape} has {c}.", nameof(weight));
        if (bias is not null)
        {
            Check.SameDType(op, input, bias);
            if (bias.Shape != new Shape(o)) Check.Fail(op, $"bias has shape {bias.Shape}, expected [{o}] (weight {weight.Shape}).", nameof(bias));
        }
        var win = Window(op, input, weight.Shape[2], weight.Shape[3], stride, padding, dilation);
        int oh = win.OutH(h), ow = win.OutW(w), plane = oh * ow, og = o / groups, k = cg * win.KernelH * win.KernelW, sample = c * h * w;
        var colShape = new Shape(c * win.KernelH * win.KernelW, plane);                             // one sample's columns

        // One sample at a time: its columns [C·kH·kW, oH·oW] stay in cache for the GEMM, whose result [O, oH·oW] is already
        // the sample's NCHW output. A 1x1 window with stride 1 and no padding reads the sample in place.
        var y = Compute.Empty(new Shape(n, o, oh, ow), input.DType);
        using (var col = win.IsPointwise ? null : Compute.Empty(colShape, input.DType))
            for (int s = 0; s < n; s++)
            {
                var (cols, at) = Columns(s, col);                                                      // col = im2col(x[s])
                for (int g = 0; g < groups; g++)                                                       // y[s]_g = W_g · col_g
                    Compute.Gemm(weight, g * og * k, false, cols, at + g * k * plane, false, y, (s * o + g * og) * plane, og, k, plane, accumulate: false);
            }
        if (bias is not null)                                                                          //   + b
        {
            if (y.DType == DType.Float32) Convolution.AddChannelBias<float>(y.F32, bias.F32, n, plane);
            else Convolution.AddChannelBias<double>(y.F64, bias.F64, n, plane);
        }

        Tensor[] inputs = bias is null ? [input, weight] : [input, weight, bias];
        return Tape.Record(op, y, inputs, "dW += g·im2col(x)ᵀ, dx += col2im(Wᵀ·g), db += Σ g", dy =>
        {
            using var col = win.IsPointwise ? null : Compute.Empty(colShape, input.DType);
            for (int s = 0; s < n; s++)
            {
                if (weight.RequiresGrad)
                {
                    var (cols, at) = Columns(s, col);                                                  // dW_g += dY[s]_g · col_gᵀ
                    for (int g = 0; g < groups; g++)
                        Compute.Gemm(dy, (s * o + g * og) * plane, false, cols, at + g * k * plane, true, weight.GradBuffer(), g * og * k, og, plane, k, accumulate: true);
                }
                if (input.RequiresGrad)
                {
                    var dx = input.GradBuffer();                                                       // dx[s] += col2im(W_gᵀ · dY[s]_g)
                    for (int g = 0; g < groups; g++)
                        if (col is null) Compute.Gemm(weight, g * og * k, true, dy, (s * o + g * og) * plane, false, dx, s * sample + g * k * plane, k, og, plane, accumulate: true);
                        else Compute.Gemm(weight, g * og * k, true, dy, (s * o + g * og) * plane, false, col, g * k * plane, k, og, plane, accumulate: false);
                    if (col is null) continue;
                    if (dx.DType == DType.Float32) Convolution.Col2ImAdd<float>(col.F32, c, h, w, win, dx.F32.Slice(s * sample, sample));
                    else Convolution.Col2ImAdd<double>(col.F64, c, h, w, win, dx.F64.Slice(s * sample, sample));
                }
            }
            if (bias is { RequiresGrad: true })                                                        // db += Σ_{n,y,x} dY
            {
                var db = bias.GradBuffer();
                if (db.DType == DType.Float32) Convolution.AddChannelSums<float>(dy.F32, n, o, plane, db.F32);
                else Convolution.AddChannelSums<double>(dy.F64, n, o, plane, db.F64);
            }
        });

        // Sample s's columns as (tensor, offset): im2col into the scratch, or the input itself for a pointwise window.
        (Tensor Cols, int Offset) Columns(int s, Tensor? scratch)
        {
            if (scratch is null) return (input, s * sample);
            if (input.DType == DType.Float32) Convolution.Im2Col<float>(input.F32.Slice(s * sample, sample), c, h, w, win, scratch.F32);
            else Convolution.Im2Col<double>(input.F64.Slice(s * sample, sample), c, h, w, win, scratch.F64);
            return (scratch, 0);
        }
    }

    /// <summary>Validates a square pooling window (PyTorch's rules: a 4-D input, stride defaulting to the kernel size,
    /// padding at most half the kernel) and returns its geometry; shared by MaxPool2d and AvgPool2d.</summary>
    private static Window2d PoolWindow(string op, Tensor input, int kernelSize, int? stride, int padding, int dilation)
    {
        Check.NotNull(op, input, nameof(input));
        Check.Rank(op, input, 4, "input [N, C, H, W]");
        if (2 * padding > kernelSize)
            Check.Fail(op, $"padding {padding} must be at most half the kernel size {kernelSize} (input {input.Shape}).", nameof(padding));
        int s = stride ?? kernelSize;
        return Window(op, input, kernelSize, kernelSize, (s, s), (padding, padding), (dilation, dilation));
    }

    /// <summary>Validates a window's geometry against an NCHW input and returns it; shared by convolution and pooling.</summary>
    private static Window2d Window(string op, Tensor input, int kernelH, int kernelW, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation)
    {
        if (kernelH < 1 || kernelW < 1) Check.Fail(op, $"kernel size must be positive, got ({kernelH}, {kernelW}) (input {input.Shape}).");
        if (stride.H < 1 || stride.W < 1) Check.Fail(op, $"stride must be positive, got ({stride.H}, {stride.W}) (input {input.Shape}).", nameof(stride));
        if (dilation.H < 1 || dilation.W < 1) Check.Fail(op, $"dilation must be positive, got ({dilation.H}, {dilation.W}) (input {input.Shape}).", nameof(dilation));
        if (padding.H < 0 || padding.W < 0) Check.Fail(op, $"padding must not be negative, got ({padding.H}, {padding.W}) (input {input.Shape}).", nameof(padding));
        var win = new Window2d(kernelH, kernelW, stride.H, stride.W, padding.H, padding.W, dilation.H, dilation.W);
        int h = input.Shape[2], w = input.Shape[3];
        if (h + 2 * padding.H < dilation.H * (kernelH - 1) + 1 || w + 2 * padding.W < dilation.W * (kernelW - 1) + 1)
            Check.Fail(op, $"the window ({kernelH}x{kernelW}, dilation ({dilation.H}, {dilation.W})) is larger than the padded input " +
                $"{h + 2 * padding.H}x{w + 2 * padding.W} (input {input.Shape}, padding ({padding.H}, {padding.W})).");
        return win;
    }
}
