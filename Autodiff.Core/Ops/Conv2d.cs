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
        int n = input.Shape[0], c = input.Shape[1];
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
        var conv = new ConvGeometry(input.Shape, weight.Shape, win, groups);
        var y = Compute.Empty(conv.OutputShape, input.DType);
        conv.Forward(input, weight, y, accumulate: false);                                            // y = W ⋆ x
        if (bias is not null)                                                                          //   + b
        {
            if (y.DType == DType.Float32) Convolution.AddChannelBias<float>(y.F32, bias.F32, n, conv.Plane);
            else Convolution.AddChannelBias<double>(y.F64, bias.F64, n, conv.Plane);
        }

        Tensor[] inputs = bias is null ? [input, weight] : [input, weight, bias];
        return Tape.Record(op, y, inputs, "dW += g·im2col(x)ᵀ, dx += col2im(Wᵀ·g), db += Σ g", dy =>
        {
            if (weight.RequiresGrad) conv.WeightGrad(input, dy, weight.GradBuffer());
            if (input.RequiresGrad) conv.InputGrad(dy, weight, input.GradBuffer());
            if (bias is { RequiresGrad: true })                                                        // db += Σ_{n,y,x} dY
            {
                var db = bias.GradBuffer();
                if (db.DType == DType.Float32) Convolution.AddChannelSums<float>(dy.F32, n, o, conv.Plane, db.F32);
                else Convolution.AddChannelSums<double>(dy.F64, n, o, conv.Plane, db.F64);
            }
        },
        dy => [input.RequiresGrad ? Conv2dBackwardInput(dy, weight, conv) : null,
               weight.RequiresGrad ? Conv2dBackwardWeight(input, dy, conv) : null,
               bias is { RequiresGrad: true } ? SumToSize(dy, 1, o, 1, 1).Reshape(o) : null]);
    }

    /// <summary>Conv2d's input gradient <c>dx = col2im(Wᵀ·dy)</c> as an op of its own (a transposed convolution), so
    /// <c>createGraph</c> can differentiate it again. It is linear in each argument: d/d(dy) is the convolution of the
    /// incoming g with W, and d/dW is Conv2d's weight gradient with g in place of x.</summary>
    private static Tensor Conv2dBackwardInput(Tensor dy, Tensor weight, ConvGeometry conv)
    {
        var dx = Compute.Zeros(conv.InputShape, dy.DType);
        conv.InputGrad(dy, weight, dx);
        return Tape.Record("Conv2dBackwardInput", dx, [dy, weight], "d(dy) += W ⋆ g, dW += Conv2d's dW for x = g", g =>
        {
            if (dy.RequiresGrad) conv.Forward(g, weight, dy.GradBuffer(), accumulate: true);
            if (weight.RequiresGrad) conv.WeightGrad(g, dy, weight.GradBuffer());
        },
        g => [dy.RequiresGrad ? conv.Apply(g, weight) : null, weight.RequiresGrad ? Conv2dBackwardWeight(g, dy, conv) : null]);
    }

    /// <summary>Conv2d's weight gradient <c>dW = Σ_samples dy·im2col(x)ᵀ</c> as an op of its own, so <c>createGraph</c>
    /// can differentiate it again: d/dx is Conv2d's input gradient with g in place of W, d/d(dy) the convolution of x with g.</summary>
    private static Tensor Conv2dBackwardWeight(Tensor input, Tensor dy, ConvGeometry conv)
    {
        var dw = Compute.Zeros(conv.WeightShape, dy.DType);
        conv.WeightGrad(input, dy, dw);
        return Tape.Record("Conv2dBackwardWeight", dw, [input, dy], "dx += col2im(gᵀ·dy), d(dy) += g ⋆ x", g =>
        {
            if (input.RequiresGrad) conv.InputGrad(dy, g, input.GradBuffer());
            if (dy.RequiresGrad) conv.Forward(input, g, dy.GradBuffer(), accumulate: true);
        },
        g => [input.RequiresGrad ? Conv2dBackwardInput(dy, g, conv) : null, dy.RequiresGrad ? conv.Apply(input, g) : null]);
    }

    /// <summary>One convolution's shapes and window, with its three products as kernels on tensors: the forward
    /// <c>y = W ⋆ x</c>, the input gradient <c>dx += col2im(Wᵀ·dy)</c> and the weight gradient <c>dW += dy·im2col(x)ᵀ</c>.
    /// Each works one sample at a time: the sample's columns <c>[C·kH·kW, oH·oW]</c> stay in cache for the GEMM, whose
    /// result <c>[O, oH·oW]</c> is already the sample's NCHW output. A 1x1 window with stride 1 and no padding reads the
    /// sample in place.</summary>
    private sealed class ConvGeometry
    {
        private readonly int _n, _c, _h, _w, _o, _groups, _og, _k, _sample;
        private readonly Window2d _win;

        public ConvGeometry(Shape input, Shape weight, Window2d win, int groups)
        {
            (_n, _c, _h, _w, _o, _groups, _win) = (input[0], input[1], input[2], input[3], weight[0], groups, win);
            (InputShape, WeightShape) = (input, weight);
            OutputShape = new Shape(_n, _o, win.OutH(_h), win.OutW(_w));
            Plane = OutputShape[2] * OutputShape[3];
            (_og, _k, _sample) = (_o / groups, weight[1] * win.KernelH * win.KernelW, _c * _h * _w);
        }

        public Shape InputShape { get; }
        public Shape WeightShape { get; }
        public Shape OutputShape { get; }
        /// <summary>oH·oW, the outputs per sample and channel.</summary>
        public int Plane { get; }

        /// <summary>The convolution as a recorded op (no bias): how the backward ops express their own derivatives.</summary>
        public Tensor Apply(Tensor x, Tensor w) => Conv2d(x, w, null, (_win.StrideH, _win.StrideW), (_win.PadH, _win.PadW),
            (_win.DilationH, _win.DilationW), _groups);

        /// <summary><c>y (+)= W_g · im2col(x[s])_g</c> for every sample s and group g; threads take disjoint runs of samples.</summary>
        public void Forward(Tensor x, Tensor w, Tensor y, bool accumulate) => ForEachPart(_n, (first, end) =>
        {
            using var col = Scratch(x.DType);
            for (int s = first; s < end; s++)
            {
                var (cols, at) = Columns(x, s, col);
                for (int g = 0; g < _groups; g++)
                    Compute.Gemm(w, g * _og * _k, false, cols, at + g * _k * Plane, false, y, (s * _o + g * _og) * Plane, _og, _k, Plane, accumulate);
            }
        });

        /// <summary><c>dW_g += dY[s]_g · im2col(x[s])_gᵀ</c>, samples in order; threads take disjoint runs of each group's
        /// output channels (rows of dW), so every element is still summed over the samples in the same order.</summary>
        public void WeightGrad(Tensor x, Tensor dy, Tensor dw) => ForEachPart(_og, (first, end) =>
        {
            using var col = Scratch(x.DType);
            for (int s = 0; s < _n; s++)
            {
                var (cols, at) = Columns(x, s, col);
                for (int g = 0; g < _groups; g++)
                    Compute.Gemm(dy, (s * _o + g * _og + first) * Plane, false, cols, at + g * _k * Plane, true, dw, (g * _og + first) * _k,
                        end - first, Plane, _k, accumulate: true);
            }
        });

        /// <summary><c>dx[s] += col2im(W_gᵀ · dY[s]_g)</c>; threads take disjoint runs of samples.</summary>
        public void InputGrad(Tensor dy, Tensor w, Tensor dx) => ForEachPart(_n, (first, end) =>
        {
            using var col = Scratch(dy.DType);
            for (int s = first; s < end; s++)
            {
                for (int g = 0; g < _groups; g++)
                    if (col is null) Compute.Gemm(w, g * _og * _k, true, dy, (s * _o + g * _og) * Plane, false, dx, s * _sample + g * _k * Plane, _k, _og, Plane, accumulate: true);
                    else Compute.Gemm(w, g * _og * _k, true, dy, (s * _o + g * _og) * Plane, false, col, g * _k * Plane, _k, _og, Plane, accumulate: false);
                if (col is null) continue;
                if (dx.DType == DType.Float32) Convolution.Col2ImAdd<float>(col.F32, _c, _h, _w, _win, dx.F32.Slice(s * _sample, _sample));
                else Convolution.Col2ImAdd<double>(col.F64, _c, _h, _w, _win, dx.F64.Slice(s * _sample, _sample));
            }
        });

        /// <summary>Calls <c>body(first, end)</c> on disjoint runs covering <c>[0, units)</c>: one run on the calling thread
        /// when the convolution is below the GEMM's threshold for a second thread, else one run per thread. Each run's
        /// products are computed exactly as on one thread, so the result does not depend on the thread count.</summary>
        private void ForEachPart(int units, Action<int, int> body)
        {
            long flops = 2L * _n * _o * _k * Plane;
            int parts = flops < Kernels.MatMul.ParallelMinFlops ? 1 : Math.Min(Threading.Available, units);
            Threading.For(parts, p => body(p * units / parts, (p + 1) * units / parts));
        }

        /// <summary>One sample's column matrix, or null for a pointwise window, which needs none.</summary>
        private Tensor? Scratch(DType dtype) => _win.IsPointwise ? null : Compute.Empty(new Shape(_c * _win.KernelH * _win.KernelW, Plane), dtype);

        // Sample s's columns as (tensor, offset): im2col into the scratch, or the input itself for a pointwise window.
        private (Tensor Cols, int Offset) Columns(Tensor x, int s, Tensor? scratch)
        {
            if (scratch is null) return (x, s * _sample);
            if (x.DType == DType.Float32) Convolution.Im2Col<float>(x.F32.Slice(s * _sample, _sample), _c, _h, _w, _win, scratch.F32);
            else Convolution.Im2Col<double>(x.F64.Slice(s * _sample, _sample), _c, _h, _w, _win, scratch.F64);
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
