namespace Autodiff.NN;

/// <summary>Batch normalization of <c>[N, C]</c> or <c>[N, C, L]</c> input per channel C. Same as <c>torch.nn.BatchNorm1d</c>.</summary>
/// <remarks>See <see cref="BatchNormBase"/> for the parameters, buffers and modes, and <see cref="Ops.BatchNorm"/> for the formulas.</remarks>
/// <example><code>var net = new Sequential(new Linear(784, 256), new BatchNorm1d(256), new ReLU(), new Linear(256, 10));</code></example>
public sealed class BatchNorm1d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true)
    : BatchNormBase(numFeatures, eps, momentum, affine, trackRunningStats)
{
    /// <inheritdoc/>
    protected override void CheckInput(Tensor input)
    {
        if (input.Rank is not (2 or 3)) Check.Fail("BatchNorm1d", $"expected 2-D [N, C] or 3-D [N, C, L] input, got {input.Shape}.", nameof(input));
    }
}
