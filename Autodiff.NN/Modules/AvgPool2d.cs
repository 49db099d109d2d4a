namespace Autodiff.NN;

/// <summary>2-D average pooling. Same as <c>torch.nn.AvgPool2d</c>.</summary>
/// <param name="kernelSize">The window's height and width.</param>
/// <param name="stride">The step between windows; null means kernelSize.</param>
/// <param name="padding">Implicit zero padding on each side.</param>
/// <param name="countIncludePad">Whether the padding counts in the divisor (PyTorch's default: true).</param>
/// <example><code>var pool = new AvgPool2d(2);   // [N, C, 28, 28] -> [N, C, 14, 14]</code></example>
public sealed class AvgPool2d(int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true) : Module
{
    /// <summary>The window's height and width.</summary>
    public int KernelSize { get; } = kernelSize;

    /// <summary>The step between windows.</summary>
    public int Stride { get; } = stride ?? kernelSize;

    /// <summary>Implicit zero padding on each side.</summary>
    public int Padding { get; } = padding;

    /// <summary>Whether the padding counts in the divisor.</summary>
    public bool CountIncludePad { get; } = countIncludePad;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Ops.AvgPool2d(input, KernelSize, Stride, Padding, CountIncludePad);

    /// <inheritdoc/>
    public override string Describe() =>
        $"AvgPool2d(kernelSize: {KernelSize}, stride: {Stride}, padding: {Padding}" + (CountIncludePad ? ")" : ", countIncludePad: False)");
}
