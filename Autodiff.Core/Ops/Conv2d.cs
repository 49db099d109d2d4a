using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>2-D convolution (cross-correlation) of NCHW input. Same as <c>torch.nn.functional.conv2d</c>.</summary>
    /// <remarks>
    /// <para>input <c>[N, C, H, W]</c>, weight <c>[O, C/groups, kH, kW]</c>, bias <c>[O]</c> or null; output
    /// <c>[N, O, oH, oW]</c> with <c>oH = ⌊(H + 2·padH - dilH·(kH-1) - 1)/strideH⌋ + 1</c> (likewise oW).</para>
    /// <para>Forward, per sample and group: <c>Y = W · im2col(X) + b</c>, one matrix product each. Backward
    /// <c>dW += dY · im2col(X)ᵀ</c>, <c>dX += col2im(Wᵀ · dY)</c>, <c>db += Σ_{n,y,x} dY</c>, samples in order, each a
    /// recorded op with its own derivative (so gradients of gradients work).</para>
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
        var conv = new ConvShape(n, c, input.Shape[2], input.Shape[3], o, groups, win);
        var y = Compute.Empty(OutputShape(conv), input.DType);
        Compute.Run(input.DType, new ConvForwardKernel(input, weight, bias, y, conv));             // y = W ⋆ x + b

        const string formula = "dW += g·im2col(x)ᵀ, dx += col2im(Wᵀ·g), db += Σ g";
        Derivative dx = (g, e) => Conv2dBackwardInput(g, e.Inputs[1], conv), dw = (g, e) => Conv2dBackwardWeight(e.Inputs[0], g, conv);
        return bias is null
            ? Tape.Record(op, y, [input, weight], formula, [dx, dw])
            : Tape.Record(op, y, [input, weight, bias], formula, [dx, dw, static (g, _) => Conv2dBackwardBias(g)]);
    }

    /// <summary>Conv2d's input gradient <c>dx = col2im(Wᵀ·dy)</c> as an op of its own (a transposed convolution), so
    /// <c>createGraph</c> can differentiate it again. It is linear in each argument: d/d(dy) is the convolution of the
    /// incoming g with W, and d/dW is Conv2d's weight gradient with g in place of x.</summary>
    private static Tensor Conv2dBackwardInput(Tensor dy, Tensor weight, ConvShape conv)
    {
        var dx = Compute.Empty(InputShape(conv), dy.DType);
        Compute.Run(dy.DType, new ConvInputGradKernel(dy, weight, dx, conv));                      // dx = col2im(Wᵀ·dy)

        return Tape.Record("Conv2dBackwardInput", dx, [dy, weight], "d(dy) += W ⋆ g, dW += Conv2d's dW for x = g",
            [(g, e) => Convolve(g, e.Inputs[1], conv), (g, e) => Conv2dBackwardWeight(g, e.Inputs[0], conv)]);
    }

    /// <summary>Conv2d's weight gradient <c>dW = Σ_samples dy·im2col(x)ᵀ</c> as an op of its own, so <c>createGraph</c>
    /// can differentiate it again: d/dx is Conv2d's input gradient with g in place of W, d/d(dy) the convolution of x with g.</summary>
    private static Tensor Conv2dBackwardWeight(Tensor input, Tensor dy, ConvShape conv)
    {
        var dw = Compute.Empty(WeightShape(conv), dy.DType);
        Compute.Run(dy.DType, new ConvWeightGradKernel(input, dy, dw, conv));                      // dW = Σ dy·im2col(x)ᵀ

        return Tape.Record("Conv2dBackwardWeight", dw, [input, dy], "dx += col2im(gᵀ·dy), d(dy) += g ⋆ x",
            [(g, e) => Conv2dBackwardInput(e.Inputs[1], g, conv), (g, e) => Convolve(e.Inputs[0], g, conv)]);
    }

    /// <summary>Conv2d's bias gradient <c>db[o] = Σ_{n,y,x} dy[n, o, y, x]</c> as an op of its own (one pass over each
    /// plane); its backward spreads g back over the planes.</summary>
    private static Tensor Conv2dBackwardBias(Tensor dy)
    {
        var db = Compute.Zeros(new Shape(dy.Shape[1]), dy.DType);
        Compute.Run(dy.DType, new ChannelSumKernel(dy, db));                                       // db = Σ_{n,y,x} dy

        return Tape.Record("Conv2dBackwardBias", db, [dy], "d(dy) += g (broadcast over n, y, x)",
            [static (g, e) => Expand(Reshape(g, 1, g.Numel, 1, 1), e.Inputs[0].Shape.ToArray())]);
    }

    /// <summary>The convolution with <paramref name="conv"/>'s window and groups, no bias, as a recorded op: how the
    /// backward ops express their own derivatives.</summary>
    private static Tensor Convolve(Tensor x, Tensor w, ConvShape conv)
    {
        var win = conv.Window;
        return Conv2d(x, w, null, (win.StrideH, win.StrideW), (win.PadH, win.PadW), (win.DilationH, win.DilationW), conv.Groups);
    }

    private static Shape InputShape(ConvShape conv) => new(conv.N, conv.C, conv.H, conv.W);

    private static Shape WeightShape(ConvShape conv) => new(conv.O, conv.C / conv.Groups, conv.Window.KernelH, conv.Window.KernelW);

    private static Shape OutputShape(ConvShape conv) => new(conv.N, conv.O, conv.Window.OutH(conv.H), conv.Window.OutW(conv.W));

    private readonly struct ConvForwardKernel(Tensor x, Tensor w, Tensor? bias, Tensor y, ConvShape conv) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            Convolution.Forward<T>(x.Data<T>(), w.Data<T>(), y.Data<T>(), conv);
            if (bias is not null) Convolution.AddChannelBias<T>(y.Data<T>(), bias.Data<T>(), conv.N, conv.Plane);
        }
    }

    private readonly struct ConvInputGradKernel(Tensor dy, Tensor w, Tensor dx, ConvShape conv) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> => Convolution.InputGrad<T>(dy.Data<T>(), w.Data<T>(), dx.Data<T>(), conv);
    }

    private readonly struct ConvWeightGradKernel(Tensor x, Tensor dy, Tensor dw, ConvShape conv) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> => Convolution.WeightGrad<T>(x.Data<T>(), dy.Data<T>(), dw.Data<T>(), conv);
    }

    private readonly struct ChannelSumKernel(Tensor dy, Tensor db) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> =>
            Convolution.AddChannelSums<T>(dy.Data<T>(), dy.Shape[0], dy.Shape[1], dy.Shape[2] * dy.Shape[3], db.Data<T>());
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
