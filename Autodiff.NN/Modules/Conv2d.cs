namespace Autodiff.NN;

/// <summary>2-D convolution over NCHW input. Same as <c>torch.nn.Conv2d</c>.</summary>
/// <remarks>Weight <c>[outChannels, inChannels/groups, kH, kW]</c> and bias <c>[outChannels]</c> start uniform in
/// <c>[-1/√fanIn, 1/√fanIn]</c> with <c>fanIn = inChannels/groups · kH · kW</c>, the bounds of PyTorch's default
/// initialisation, drawn from the generator passed in, or from <see cref="Generator.Default"/> if none. Sizes are one number for both directions, or
/// (height, width) pairs through the second constructor, as PyTorch takes an int or a tuple.</remarks>
/// <example><code>
/// var conv = new Conv2d(1, 32, kernelSize: 3, padding: 1);                  // [N, 1, 28, 28] -> [N, 32, 28, 28]
/// var wide = new Conv2d(1, 8, kernelSize: (1, 5), padding: (0, 2));         // a 1x5 kernel, same height and width out
/// </code></example>
public sealed class Conv2d : Module
{
    /// <summary>Creates the layer with a square kernel and the same stride, padding and dilation in both directions.</summary>
    /// <exception cref="ArgumentException">A size is not positive, padding is negative, or groups does not divide the channels.</exception>
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1,
        bool bias = true, Generator? generator = null)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (dilation, dilation), groups, bias, generator)
    {
    }

    /// <summary>Creates the layer with (height, width) sizes; stride defaults to (1, 1), padding to (0, 0), dilation to (1, 1).</summary>
    /// <exception cref="ArgumentException">A size is not positive, padding is negative, or groups does not divide the channels.</exception>
    public Conv2d(int inChannels, int outChannels, (int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null,
        (int H, int W)? dilation = null, int groups = 1, bool bias = true, Generator? generator = null)
    {
        var (s, p, d) = (stride ?? (1, 1), padding ?? (0, 0), dilation ?? (1, 1));
        if (inChannels <= 0 || outChannels <= 0 || Math.Min(kernelSize.H, kernelSize.W) <= 0 || Math.Min(s.H, s.W) <= 0 ||
            Math.Min(d.H, d.W) <= 0 || Math.Min(p.H, p.W) < 0)
            Check.Fail("Conv2d", $"sizes must be positive and padding non-negative, got inChannels {inChannels}, outChannels {outChannels}, " +
                $"kernelSize {kernelSize}, stride {s}, padding {p}, dilation {d}.", nameof(inChannels));
        if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            Check.Fail("Conv2d", $"groups {groups} must divide inChannels {inChannels} and outChannels {outChannels}.", nameof(groups));
        (InChannels, OutChannels, KernelSize, Stride, Padding, Dilation, Groups) = (inChannels, outChannels, kernelSize, s, p, d, groups);
        RegisterParameter("weight", Tensor.Zeros(WeightShape.ToArray()));
        RegisterParameter("bias", bias ? Tensor.Zeros(outChannels) : null);
        ResetParameters(generator);
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>The kernel's height and width.</summary>
    public (int H, int W) KernelSize { get; }

    /// <summary>The step between windows, down and across.</summary>
    public (int H, int W) Stride { get; }

    /// <summary>Zero padding on each side, top/bottom and left/right.</summary>
    public (int H, int W) Padding { get; }

    /// <summary>The spacing of the kernel's elements, down and across.</summary>
    public (int H, int W) Dilation { get; }

    /// <summary>Channel groups convolved separately.</summary>
    public int Groups { get; }

    /// <summary>The weight, shape [outChannels, inChannels/groups, kH, kW].</summary>
    public Tensor Weight => GetParameter("weight")!;

    /// <summary>The bias, shape [outChannels], or null.</summary>
    public Tensor? Bias => GetParameter("bias");

    private Shape WeightShape => new(OutChannels, InChannels / Groups, KernelSize.H, KernelSize.W);

    /// <summary>Redraws weight and bias uniformly in <c>[-1/√fanIn, 1/√fanIn]</c>, from <paramref name="generator"/> or,
    /// when it is null, from <see cref="Generator.Default"/>.</summary>
    /// <remarks>In place, as PyTorch's <c>reset_parameters()</c>: the tensors stay the same objects, so an optimizer built
    /// earlier keeps training them and a frozen weight stays frozen.</remarks>
    public void ResetParameters(Generator? generator = null)
    {
        double bound = 1.0 / Math.Sqrt(InChannels / Groups * KernelSize.H * KernelSize.W);
        Init.Uniform_(Weight, -bound, bound, generator);
        if (Bias is not null) Init.Uniform_(Bias, -bound, bound, generator);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Ops.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups);

    /// <inheritdoc/>
    public override string Describe()
    {
        // One number per size when every size is square, as the layer was then most likely written; (h, w) pairs
        // otherwise, matching the constructor that takes pairs.
        bool square = KernelSize.H == KernelSize.W && Stride.H == Stride.W && Padding.H == Padding.W && Dilation.H == Dilation.W;
        string Size((int H, int W) size) => square ? $"{size.H}" : $"({size.H}, {size.W})";
        return $"Conv2d({InChannels}, {OutChannels}, kernelSize: {Size(KernelSize)}, stride: {Size(Stride)}, padding: {Size(Padding)}" +
            (Dilation != (1, 1) ? $", dilation: {Size(Dilation)}" : "") + (Groups != 1 ? $", groups: {Groups}" : "") + $", bias: {Bias is not null})";
    }
}
