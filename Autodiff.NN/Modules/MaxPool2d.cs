namespace Autodiff.NN;

/// <summary>2-D max pooling. Same as <c>torch.nn.MaxPool2d</c>.</summary>
/// <remarks>Sizes are one number for both directions, or (height, width) pairs through the second constructor, as PyTorch
/// takes an int or a tuple. <see cref="CeilMode"/> rounds the output size up, as PyTorch's <c>ceil_mode</c>: the last
/// window is kept if it starts inside the input or its left padding. See <see cref="Ops.MaxPool2d(Tensor, int, int?, int, int, bool)"/>.</remarks>
/// <example><code>
/// var pool = new MaxPool2d(2);                                      // [N, C, 28, 28] -> [N, C, 14, 14]
/// var odd = new MaxPool2d(3, stride: 2, ceilMode: true);           // [N, C, 8, 8] -> [N, C, 4, 4] (floor mode: 3x3)
/// var tall = new MaxPool2d((3, 1), stride: (2, 1), padding: (1, 0));
/// </code></example>
public sealed class MaxPool2d : Module
{
    /// <summary>Creates the layer with a square window and the same stride, padding and dilation in both directions.</summary>
    /// <param name="kernelSize">The window's height and width.</param>
    /// <param name="stride">The step between windows; null means kernelSize.</param>
    /// <param name="padding">Implicit -∞ padding on each side.</param>
    /// <param name="dilation">The spacing of the window's elements.</param>
    /// <param name="ceilMode">Round the output size up instead of down.</param>
    /// <exception cref="ArgumentException">A size is not positive or padding is negative.</exception>
    public MaxPool2d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
        : this((kernelSize, kernelSize), stride is { } s ? (s, s) : null, (padding, padding), (dilation, dilation), ceilMode)
    {
    }

    /// <summary>Creates the layer with (height, width) sizes; stride defaults to kernelSize, padding to (0, 0), dilation to (1, 1).</summary>
    /// <param name="kernelSize">The window's (height, width).</param>
    /// <param name="stride">The (down, across) step between windows; null means kernelSize.</param>
    /// <param name="padding">Implicit -∞ padding, (top/bottom, left/right); null means (0, 0).</param>
    /// <param name="dilation">The (down, across) spacing of the window's elements; null means (1, 1).</param>
    /// <param name="ceilMode">Round the output size up instead of down.</param>
    /// <exception cref="ArgumentException">A size is not positive or padding is negative.</exception>
    public MaxPool2d((int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null, (int H, int W)? dilation = null,
        bool ceilMode = false)
    {
        var (s, p, d) = (stride ?? kernelSize, padding ?? (0, 0), dilation ?? (1, 1));
        CheckPoolSizes("MaxPool2d", kernelSize, s, p, d);
        (KernelSize, Stride, Padding, Dilation, CeilMode) = (kernelSize, s, p, d, ceilMode);
    }

    /// <summary>The window's height and width.</summary>
    public (int H, int W) KernelSize { get; }

    /// <summary>The step between windows, down and across.</summary>
    public (int H, int W) Stride { get; }

    /// <summary>Implicit -∞ padding on each side, top/bottom and left/right.</summary>
    public (int H, int W) Padding { get; }

    /// <summary>The spacing of the window's elements, down and across.</summary>
    public (int H, int W) Dilation { get; }

    /// <summary>Whether the output size is rounded up (PyTorch's <c>ceil_mode</c>).</summary>
    public bool CeilMode { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Ops.MaxPool2d(input, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <inheritdoc/>
    public override string Describe()
    {
        // One number per size when every size is square (as the layer was then most likely written), else (h, w) pairs.
        bool square = KernelSize.H == KernelSize.W && Stride.H == Stride.W && Padding.H == Padding.W && Dilation.H == Dilation.W;
        string Size((int H, int W) size) => square ? $"{size.H}" : $"({size.H}, {size.W})";
        return $"MaxPool2d(kernelSize: {Size(KernelSize)}, stride: {Size(Stride)}, padding: {Size(Padding)}" +
            (Dilation != (1, 1) ? $", dilation: {Size(Dilation)}" : "") + (CeilMode ? ", ceilMode: True)" : ")");
    }

    /// <summary>Checks a pooling layer's sizes at construction: kernel, stride and dilation positive, padding non-negative
    /// (the op checks the rest against the input).</summary>
    internal static void CheckPoolSizes(string layer, (int H, int W) kernelSize, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation)
    {
        if (Math.Min(kernelSize.H, kernelSize.W) <= 0 || Math.Min(stride.H, stride.W) <= 0 || Math.Min(dilation.H, dilation.W) <= 0 ||
            Math.Min(padding.H, padding.W) < 0)
            Check.Fail(layer, $"sizes must be positive and padding non-negative, got kernelSize {kernelSize}, stride {stride}, " +
                $"padding {padding}, dilation {dilation}.", nameof(kernelSize));
    }
}
