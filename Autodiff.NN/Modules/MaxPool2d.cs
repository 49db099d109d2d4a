namespace Autodiff.NN;

/// <summary>2-D max pooling. Same as <c>torch.nn.MaxPool2d</c>.</summary>
/// <param name="kernelSize">The window's height and width.</param>
/// <param name="stride">The step between windows; null means kernelSize.</param>
/// <param name="padding">Implicit -∞ padding on each side.</param>
public sealed class MaxPool2d(int kernelSize, int? stride = null, int padding = 0) : Module
{
    /// <summary>The window's height and width.</summary>
    public int KernelSize { get; } = kernelSize;

    /// <summary>The step between windows.</summary>
    public int Stride { get; } = stride ?? kernelSize;

    /// <summary>Implicit -∞ padding on each side.</summary>
    public int Padding { get; } = padding;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Ops.MaxPool2d(input, KernelSize, Stride, Padding);

    /// <inheritdoc/>
    public override string Describe() => $"MaxPool2d(kernelSize: {KernelSize}, stride: {Stride}, padding: {Padding})";
}
