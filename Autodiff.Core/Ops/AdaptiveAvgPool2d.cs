using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>2-D average pooling to a fixed output size, whatever the input size. Same as
    /// <c>torch.nn.functional.adaptive_avg_pool2d</c>.</summary>
    /// <remarks>Output row i averages input rows <c>[⌊i·H/oH⌋, ⌈(i+1)·H/oH⌉)</c> (likewise columns), PyTorch's formula, so
    /// windows may overlap when H is not a multiple of oH. Forward <c>y = Σ_window x / |window|</c>. Backward
    /// <c>dx[window] += g / |window|</c>.</remarks>
    /// <param name="input">[N, C, H, W].</param>
    /// <param name="outputSize">oH = oW.</param>
    /// <exception cref="ArgumentException">The input is not 4-D or has an empty plane, or the output size is not positive.</exception>
    public static Tensor AdaptiveAvgPool2d(Tensor input, int outputSize) => AdaptiveAvgPool2d(input, (outputSize, outputSize));

    /// <summary>Adaptive average pooling to <c>(oH, oW)</c>.</summary>
    /// <inheritdoc cref="AdaptiveAvgPool2d(Tensor, int)"/>
    public static Tensor AdaptiveAvgPool2d(Tensor input, (int H, int W) outputSize)
    {
        const string op = "AdaptiveAvgPool2d";
        Check.NotNull(op, input, nameof(input));
        Check.Rank(op, input, 4, "input [N, C, H, W]");
        if (outputSize.H < 1 || outputSize.W < 1)
            Check.Fail(op, $"output size must be positive, got ({outputSize.H}, {outputSize.W}) (input {input.Shape}).", nameof(outputSize));
        if (input.Shape[2] < 1 || input.Shape[3] < 1)
            Check.Fail(op, $"input planes must not be empty, got input {input.Shape}.", nameof(input));
        return AveragePool(op, input, PoolAxis.Adaptive(input.Shape[2], outputSize.H), PoolAxis.Adaptive(input.Shape[3], outputSize.W));
    }
}
