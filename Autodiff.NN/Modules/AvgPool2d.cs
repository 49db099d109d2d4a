namespace Autodiff.NN;

/// <summary>2-D average pooling. Same as <c>torch.nn.AvgPool2d</c>.</summary>
/// <remarks>Sizes are one number for both directions, or (height, width) pairs through the second constructor, as PyTorch
/// takes an int or a tuple. See <see cref="Ops.AvgPool2d(Tensor, int, int?, int, bool, bool)"/>
/// for the divisor of windows at the edge.</remarks>
/// <example><code>
/// var pool = new AvgPool2d(2);   // [N, C, 28, 28] -> [N, C, 14, 14]
/// var odd = new AvgPool2d(2, ceilMode: true);   // [N, C, 7, 7] -> [N, C, 4, 4], the last row and column averaged alone
/// </code></example>
public sealed class AvgPool2d : Module
{
    /// <summary>Creates the layer with a square window and the same stride and padding in both directions.</summary>
    /// <param name="kernelSize">The window's height and width.</param>
    /// <param name="stride">The step between windows; null means kernelSize.</param>
    /// <param name="padding">Implicit zero padding on each side.</param>
    /// <param name="countIncludePad">Whether the padding counts in the divisor (PyTorch's default: true).</param>
    /// <param name="ceilMode">Round the output size up instead of down.</param>
    /// <exception cref="ArgumentException">A size is not positive or padding is negative.</exception>
    public AvgPool2d(int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true, bool ceilMode = false)
        : this((kernelSize, kernelSize), stride is { } s ? (s, s) : null, (padding, padding), countIncludePad, ceilMode)
    {
    }

    /// <summary>Creates the layer with (height, width) sizes; stride defaults to kernelSize, padding to (0, 0).</summary>
    /// <param name="kernelSize">The window's (height, width).</param>
    /// <param name="stride">The (down, across) step between windows; null means kernelSize.</param>
    /// <param name="padding">Implicit zero padding, (top/bottom, left/right); null means (0, 0).</param>
    /// <param name="countIncludePad">Whether the padding counts in the divisor (PyTorch's default: true).</param>
    /// <param name="ceilMode">Round the output size up instead of down.</param>
    /// <exception cref="ArgumentException">A size is not positive or padding is negative.</exception>
    public AvgPool2d((int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null, bool countIncludePad = true,
        bool ceilMode = false)
    {
        var (s, p) = (stride ?? kernelSize, padding ?? (0, 0));
        MaxPool2d.CheckPoolSizes("AvgPool2d", kernelSize, s, p, (1, 1));
        (KernelSize, Stride, Padding, CountIncludePad, CeilMode) = (kernelSize, s, p, countIncludePad, ceilMode);
    }

    /// <summary>The window's height and width.</summary>
    public (int H, int W) KernelSize { get; }

    /// <summary>The step between windows, down and across.</summary>
    public (int H, int W) Stride { get; }

    /// <summary>Implicit zero padding on each side, top/bottom and left/right.</summary>
    public (int H, int W) Padding { get; }

    /// <summary>Whether the padding counts in the divisor.</summary>
    public bool CountIncludePad { get; }

    /// <summary>Whether the output size is rounded up (PyTorch's <c>ceil_mode</c>).</summary>
    public bool CeilMode { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Ops.AvgPool2d(input, KernelSize, Stride, Padding, CountIncludePad, CeilMode);

    /// <inheritdoc/>
    public override string Describe()
    {
        bool square = KernelSize.H == KernelSize.W && Stride.H == Stride.W && Padding.H == Padding.W;
        string Size((int H, int W) size) => square ? $"{size.H}" : $"({size.H}, {size.W})";
        return $"AvgPool2d(kernelSize: {Size(KernelSize)}, stride: {Size(Stride)}, padding: {Size(Padding)}" +
            (CountIncludePad ? "" : ", countIncludePad: False") + (CeilMode ? ", ceilMode: True)" : ")");
    }
}
