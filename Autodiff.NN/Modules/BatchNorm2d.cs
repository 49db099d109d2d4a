namespace Autodiff.NN;

/// <summary>Batch normalization of <c>[N, C, H, W]</c> input per channel C. Same as <c>torch.nn.BatchNorm2d</c>.</summary>
/// <remarks>See <see cref="BatchNormBase"/> for the parameters, buffers and modes, and <see cref="Ops.BatchNorm"/> for the formulas.</remarks>
/// <example><code>var block = new Sequential(new Conv2d(1, 32, 3, padding: 1, bias: false), new BatchNorm2d(32), new ReLU());</code></example>
public sealed class BatchNorm2d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true)
    : BatchNormBase(numFeatures, eps, momentum, affine, trackRunningStats)
{
    /// <inheritdoc/>
    protected override void CheckInput(Tensor input)
    {
        if (input.Rank != 4) Check.Fail("BatchNorm2d", $"expected 4-D [N, C, H, W] input, got {input.Shape}.", nameof(input));
    }
}
