namespace Autodiff.NN;

/// <summary>2-D average pooling. Same as <c>torch.nn.AvgPool2d</c>.</summary>
/// <remarks>Sizes are one number for both directions, or (height, width) pairs through the second constructor, as PyTorch
/// takes an int or a tuple. See <see cref="Ops.AvgPool2d(Tensor, int, int?, int, bool, bool, int?)"/>
/// for the divisor of windows at the edge, and of every window with <c>divisorOverride</c>.</remarks>
/// <example><code>
/// var pool = new AvgPool2d(2);   // [N, C, 28, 28] -> [N, C, 14, 14]
/// var odd = new AvgPool2d(2, ceilMode: true);   // [N, C, 7, 7] -> [N, C, 4, 4], the last row and column averaged alone
/// var sum = new AvgPool2d(2, divisorOverride: 1);   // each 2x2 window's sum (torch: nn.AvgPool2d(2, divisor_override=1))
/// </code></example>
public sealed class AvgPool2d : Module
{
    /// <summary>Creates the layer with a square window and the same stride and padding in both directions.</summary>
    /// <param name="kernelSize">The window's height and width.</param>
    /// <param name="stride">The step between windows; null means kernelSize.</param>
    /// <param name="padding">Implicit zero padding on each side.</param>
    /// <param name="countIncludePad">Whether the padding counts in the divisor (PyTorch's default: true).</param>
    /// <param name="ceilMode">Round the output size up instead of down.</param>
    /// <param name="divisorOverride">The divisor of every window in place of its size; null (the default) for the size.</param>
    /// <exception cref="ArgumentException">A size is not positive, padding is negative, or divisorOverride is 0.</exception>
    public AvgPool2d(int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true, bool ceilMode = false, int? divisorOverride = null)
        : this((kernelSize, kernelSize), stride is { } s ? (s, s) : null, (padding, padding), countIncludePad, ceilMode, divisorOverride)
    {
    }

    /// <summary>Creates the layer with (height, width) sizes; stride defaults to kernelSize, padding to (0, 0).</summary>
    /// <param name="kernelSize">The window's (height, width).</param>
    /// <param name="stride">The (down, across) step between windows; null means kernelSize.</param>
    /// <param name="padding">Implicit zero padding, (top/bottom, left/right); null means (0, 0).</param>
    /// <param name="countIncludePad">Whether the padding counts in the divisor (PyTorch's default: true).</param>
    /// <param name="ceilMode">Round the output size up instead of down.</param>
    /// <param name="divisorOverride">The divisor of every window in place of its size; null (the default) for the size.</param>
    /// <exception cref="ArgumentException">A size is not positive, padding is negative, or divisorOverride is 0.</exception>
    public AvgPool2d((int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null, bool countIncludePad = true,
        bool ceilMode = false, int? divisorOverride = null)
    {
        var (s, p) = (stride ?? kernelSize, padding ?? (0, 0));
        MaxPool2d.CheckPoolSizes("AvgPool2d", kernelSize, s, p, (1, 1));
        Ops.CheckDivisorOverride("AvgPool2d", divisorOverride);
        (KernelSize, Stride, Padding, CountIncludePad, CeilMode, DivisorOverride) = (kernelSize, s, p, countIncludePad, ceilMode, divisorOverride);
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

    /// <summary>The divisor of every window, or null to divide by the window's size (PyTorch's <c>divisor_override</c>).</summary>
    public int? DivisorOverride { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Ops.AvgPool2d(input, KernelSize, Stride, Padding, CountIncludePad, CeilMode, DivisorOverride);

    /// <inheritdoc/>
    public override string Describe()
    {
        bool square = KernelSize.H == KernelSize.W && Stride.H == Stride.W && Padding.H == Padding.W;
        string Size((int H, int W) size) => square ? $"{size.H}" : $"({size.H}, {size.W})";
        return $"AvgPool2d(kernelSize: {Size(KernelSize)}, stride: {Size(Stride)}, padding: {Size(Padding)}" +
            (CountIncludePad ? "" : ", countIncludePad: False") + (CeilMode ? ", ceilMode: True" : "") +
            (DivisorOverride is { } divisor ? $", divisorOverride: {divisor})" : ")");
    }
}
