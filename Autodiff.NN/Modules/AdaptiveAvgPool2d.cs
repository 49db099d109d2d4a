namespace Autodiff.NN;

/// <summary>2-D average pooling to a fixed output size. Same as <c>torch.nn.AdaptiveAvgPool2d</c>.</summary>
/// <example><code>var gap = new AdaptiveAvgPool2d(1);   // global average pooling: [N, C, H, W] -> [N, C, 1, 1]</code></example>
public sealed class AdaptiveAvgPool2d : Module
{
    /// <summary>Pools to <c>outputSize × outputSize</c>.</summary>
    public AdaptiveAvgPool2d(int outputSize) : this((outputSize, outputSize)) { }

    /// <summary>Pools to <c>(oH, oW)</c>.</summary>
    /// <exception cref="ArgumentException">A size is not positive.</exception>
    public AdaptiveAvgPool2d((int H, int W) outputSize)
    {
        if (outputSize.H < 1 || outputSize.W < 1)
            Check.Fail("AdaptiveAvgPool2d", $"output size must be positive, got ({outputSize.H}, {outputSize.W}).", nameof(outputSize));
        OutputSize = outputSize;
    }

    /// <summary>The output's height and width.</summary>
    public (int H, int W) OutputSize { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Ops.AdaptiveAvgPool2d(input, OutputSize);

    /// <inheritdoc/>
    public override string Describe() => $"AdaptiveAvgPool2d(outputSize: ({OutputSize.H}, {OutputSize.W}))";
}
