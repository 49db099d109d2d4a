namespace Autodiff.NN;

// Activations as functions, named as torch.nn.functional's: each forwards to its op.
public static partial class Functional
{
    /// <summary>The rectified linear unit, <c>max(x, 0)</c>. Same as <c>torch.nn.functional.relu</c>.</summary>
    /// <remarks>See <see cref="Ops.Relu"/>: backward <c>dx = g where x &gt; 0</c>.</remarks>
    public static Tensor Relu(Tensor input) => Ops.Relu(input);

    /// <summary>The Gaussian error linear unit. Same as <c>torch.nn.functional.gelu(input, approximate=...)</c>.</summary>
    /// <remarks>See <see cref="Ops.Gelu"/>: <c>"none"</c> is <c>x·Φ(x)</c>, <c>"tanh"</c> its tanh approximation.</remarks>
    /// <param name="input">The input.</param>
    /// <param name="approximate"><c>"none"</c> (the default) or <c>"tanh"</c>, as PyTorch spells them.</param>
    /// <exception cref="ArgumentException">approximate is neither "none" nor "tanh".</exception>
    public static Tensor Gelu(Tensor input, string approximate = "none") => approximate switch
    {
        "none" => Ops.Gelu(input),
        "tanh" => Ops.Gelu(input, approximateTanh: true),
        _ => throw new ArgumentException($"Gelu: approximate must be \"none\" or \"tanh\", got \"{approximate}\".", nameof(approximate)),
    };

    /// <summary>The sigmoid linear unit (swish), <c>x·σ(x)</c>. Same as <c>torch.nn.functional.silu</c>.</summary>
    /// <remarks>See <see cref="Ops.Silu"/>.</remarks>
    public static Tensor Silu(Tensor input) => Ops.Silu(input);

    /// <summary>Mish, <c>x·tanh(softplus(x))</c>. Same as <c>torch.nn.functional.mish</c>.</summary>
    /// <remarks>See <see cref="Ops.Mish"/>.</remarks>
    public static Tensor Mish(Tensor input) => Ops.Mish(input);

    /// <summary>The softmax along one dimension. Same as <c>torch.nn.functional.softmax(input, dim)</c>.</summary>
    /// <remarks>See <see cref="Ops.Softmax"/>: stable for any logits.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    public static Tensor Softmax(Tensor input, int dim) => Ops.Softmax(input, dim);

    /// <summary>The log of the softmax along one dimension. Same as <c>torch.nn.functional.log_softmax(input, dim)</c>.</summary>
    /// <remarks>See <see cref="Ops.LogSoftmax"/>.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    public static Tensor LogSoftmax(Tensor input, int dim) => Ops.LogSoftmax(input, dim);
}
