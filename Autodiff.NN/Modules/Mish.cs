namespace Autodiff.NN;

/// <summary>Applies Mish, <c>x·tanh(softplus(x))</c>, element-wise. Same as <c>torch.nn.Mish</c>.</summary>
/// <remarks>See <see cref="Ops.Mish"/>: backward <c>dx = g·(t + x·σ(x)(1 - t²))</c> with <c>t = tanh(softplus(x))</c>, one fused kernel.</remarks>
/// <example><code>var block = new Sequential(new Conv2d(32, 64, 3, padding: 1), new Mish());</code></example>
public sealed class Mish : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Ops.Mish(input);
}
