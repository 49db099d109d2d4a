namespace Autodiff.NN;

/// <summary>2-D convolution over NCHW input. Same as <c>torch.nn.Conv2d</c>.</summary>
/// <remarks>Weight <c>[outChannels, inChannels/groups, k, k]</c> and bias <c>[outChannels]</c> start uniform in
/// <c>[-1/√fanIn, 1/√fanIn]</c> with <c>fanIn = inChannels/groups · k · k</c>, the bounds of PyTorch's default
/// initialisation, drawn from the generator passed in (seed 0 if none).</remarks>
/// <example><code>var conv = new Conv2d(1, 32, kernelSize: 3, padding: 1);   // [N, 1, 28, 28] -> [N, 32, 28, 28]</code></example>
public sealed class Conv2d : Module
{
    /// <summary>Creates the layer and initialises it.</summary>
    /// <exception cref="ArgumentException">A size is not positive, padding is negative, or groups does not divide the channels.</exception>
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1,
        bool bias = true, Generator? generator = null)
    {
        if (inChannels <= 0 || outChannels <= 0 || kernelSize <= 0 || stride <= 0 || dilation <= 0 || padding < 0)
            Check.Fail("Conv2d", $"sizes must be positive and padding non-negative, got inChannels {inChannels}, outChannels {outChannels}, " +
                $"kernelSize {kernelSize}, stride {stride}, padding {padding}, dilation {dilation}.", nameof(inChannels));
        if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            Check.Fail("Conv2d", $"groups {groups} must divide inChannels {inChannels} and outChannels {outChannels}.", nameof(groups));
        (InChannels, OutChannels, KernelSize, Stride, Padding, Dilation, Groups) = (inChannels, outChannels, kernelSize, stride, padding, dilation, groups);
        RegisterParameter("weight", Tensor.Zeros(outChannels, inChannels / groups, kernelSize, kernelSize));
        RegisterParameter("bias", bias ? Tensor.Zeros(outChannels) : null);
        ResetParameters(generator ?? new Generator(0));
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>The kernel's height and width.</summary>
    public int KernelSize { get; }

    /// <summary>The step between windows.</summary>
    public int Stride { get; }

    /// <summary>Zero padding on each side.</summary>
    public int Padding { get; }

    /// <summary>The spacing of the kernel's elements.</summary>
    public int Dilation { get; }

    /// <summary>Channel groups convolved separately.</summary>
    public int Groups { get; }

    /// <summary>The weight, shape [outChannels, inChannels/groups, k, k].</summary>
    public Tensor Weight => GetParameter("weight")!;

    /// <summary>The bias, shape [outChannels], or null.</summary>
    public Tensor? Bias => GetParameter("bias");

    /// <summary>Redraws weight and bias uniformly in <c>[-1/√fanIn, 1/√fanIn]</c>.</summary>
    public void ResetParameters(Generator generator)
    {
        double bound = 1.0 / Math.Sqrt(InChannels / Groups * KernelSize * KernelSize);
        SetParameter("weight", Tensor.Uniform([OutChannels, InChannels / Groups, KernelSize, KernelSize], -bound, bound, generator),
            new Shape(OutChannels, InChannels / Groups, KernelSize, KernelSize));
        if (Bias is not null) SetParameter("bias", Tensor.Uniform([OutChannels], -bound, bound, generator), new Shape(OutChannels));
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Ops.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups);

    /// <inheritdoc/>
    public override string Describe() =>
        $"Conv2d({InChannels}, {OutChannels}, kernelSize: {KernelSize}, stride: {Stride}, padding: {Padding}" +
        (Dilation != 1 ? $", dilation: {Dilation}" : "") + (Groups != 1 ? $", groups: {Groups}" : "") + $", bias: {Bias is not null})";
}
