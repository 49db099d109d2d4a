namespace Autodiff.NN;

/// <summary>Applies the sigmoid linear unit (swish), <c>x·σ(x)</c>, element-wise. Same as <c>torch.nn.SiLU</c>.</summary>
/// <remarks>See <see cref="Ops.Silu"/>: backward <c>dx = g·σ(x)(1 + x(1 - σ(x)))</c>, one fused kernel.</remarks>
/// <example><code>var mlp = new Sequential(new Linear(512, 2048), new SiLU(), new Linear(2048, 512));</code></example>
public sealed class SiLU : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Ops.Silu(input);
}
