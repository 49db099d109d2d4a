namespace Autodiff.NN;

/// <summary>One transformer encoder block: self-attention and a feed-forward network, each with a residual connection,
/// dropout and layer normalization. Same as <c>torch.nn.TransformerEncoderLayer</c>.</summary>
/// <remarks>
/// <para>Forward, post-norm (the default): <c>x = norm1(x + sa(x))</c>, <c>x = norm2(x + ff(x))</c>; pre-norm
/// (<c>normFirst</c>): <c>x = x + sa(norm1(x))</c>, <c>x = x + ff(norm2(x))</c>; with
/// <c>sa(x) = dropout1(self_attn(x, x, x))</c> (the fused attention: no weights are computed) and
/// <c>ff(x) = dropout2(linear2(dropout(activation(linear1(x)))))</c>.</para>
/// <para>Submodules and state-dict keys are PyTorch's: <c>self_attn.in_proj_weight</c>, <c>self_attn.out_proj.weight</c>,
/// <c>linear1</c>, <c>linear2</c>, <c>norm1</c>, <c>norm2</c> (and the parameterless <c>dropout</c>, <c>dropout1</c>,
/// <c>dropout2</c>), so weights exchange with PyTorch through safetensors. Each part is initialised as its module is.</para>
/// <para>Masks follow <see cref="MultiheadAttention"/>: <c>srcMask</c> [L, L] or [N·H, L, L] (Bool true = may not attend,
/// or additive), <c>srcKeyPaddingMask</c> [N, L] (true = padding); <c>isCausal</c> without a mask applies the causal mask.</para>
/// </remarks>
/// <example><code>
/// var layer = new TransformerEncoderLayer(dModel: 128, nhead: 4, dimFeedforward: 512, batchFirst: true, normFirst: true);
/// var y = layer.Forward(x, isCausal: true);          // x [N, T, 128] -> y [N, T, 128]
/// </code></example>
public sealed class TransformerEncoderLayer : Module
{
    private readonly MultiheadAttention _selfAttn;
    private readonly Linear _linear1, _linear2;
    private readonly LayerNorm _norm1, _norm2;
    private readonly Dropout _dropout, _dropout1, _dropout2;
    private readonly Generator? _generator;

    /// <summary>Creates the layer and initialises it.</summary>
    /// <param name="dModel">The model's width E.</param>
    /// <param name="nhead">The number of attention heads; must divide dModel.</param>
    /// <param name="dimFeedforward">The hidden width of the feed-forward network.</param>
    /// <param name="dropout">The dropout probability (attention weights, feed-forward, residual branches), in [0, 1).</param>
    /// <param name="activation">"relu" or "gelu" (exact, erf-based).</param>
    /// <param name="layerNormEps">The layer norms' eps.</param>
    /// <param name="batchFirst">Inputs are [N, L, E] when true, [L, N, E] when false (PyTorch's default).</param>
    /// <param name="normFirst">Pre-norm (layer norm before each block) when true, post-norm when false.</param>
    /// <param name="bias">Whether the linear layers and layer norms have biases.</param>
    /// <param name="generator">Where initial weights and dropout masks are drawn from; null for <see cref="Generator.Default"/>.</param>
    /// <exception cref="ArgumentException">A size is not positive, nhead does not divide dModel, dropout is outside [0, 1),
    /// or the activation is neither "relu" nor "gelu".</exception>
    public TransformerEncoderLayer(int dModel, int nhead, int dimFeedforward = 2048, double dropout = 0.1, string activation = "relu",
        double layerNormEps = 1e-5, bool batchFirst = false, bool normFirst = false, bool bias = true, Generator? generator = null)
    {
        Activation = TransformerParts.CheckActivation("TransformerEncoderLayer", activation);
        (NormFirst, _generator) = (normFirst, generator);
        _selfAttn = RegisterModule("self_attn", new MultiheadAttention(dModel, nhead, dropout, bias, batchFirst, generator: generator));
        _linear1 = RegisterModule("linear1", new Linear(dModel, dimFeedforward, bias, generator));
        _dropout = RegisterModule("dropout", new Dropout(dropout));
        _linear2 = RegisterModule("linear2", new Linear(dimFeedforward, dModel, bias, generator));
        _norm1 = RegisterModule("norm1", new LayerNorm(dModel, layerNormEps, bias: bias));
        _norm2 = RegisterModule("norm2", new LayerNorm(dModel, layerNormEps, bias: bias));
        _dropout1 = RegisterModule("dropout1", new Dropout(dropout));
        _dropout2 = RegisterModule("dropout2", new Dropout(dropout));
    }

    /// <summary>"relu" or "gelu".</summary>
    public string Activation { get; }

    /// <summary>Whether the layer norms come before each block (pre-norm).</summary>
    public bool NormFirst { get; }

    /// <summary>The self-attention, <c>self_attn</c>.</summary>
    public MultiheadAttention SelfAttn => _selfAttn;

    /// <summary>Applies the layer without masks.</summary>
    /// <exception cref="ArgumentException">The input's shape does not fit.</exception>
    public override Tensor Forward(Tensor input) => Forward(input, null, null, false);

    /// <summary>Applies the layer. Same as <c>TransformerEncoderLayer.forward(src, src_mask, src_key_padding_mask, is_causal)</c>.</summary>
    /// <param name="src">[L, N, E] ([N, L, E] with batchFirst), or [L, E].</param>
    /// <param name="srcMask">[L, L] or [N·H, L, L]: Bool (true = may not attend) or additive; null for none.</param>
    /// <param name="srcKeyPaddingMask">[N, L]: Bool (true = padding) or additive; null for none.</param>
    /// <param name="isCausal">Applies the causal mask when srcMask is null.</param>
    /// <returns>The output, shaped as src.</returns>
    /// <exception cref="ArgumentException">A shape does not fit.</exception>
    public Tensor Forward(Tensor src, Tensor? srcMask = null, Tensor? srcKeyPaddingMask = null, bool isCausal = false)
    {
        var x = src;
        if (NormFirst)
        {
            x = x + SelfAttentionBlock(_norm1.Forward(x), srcMask, srcKeyPaddingMask, isCausal);
            return x + FeedForwardBlock(_norm2.Forward(x));
        }
        x = _norm1.Forward(x + SelfAttentionBlock(x, srcMask, srcKeyPaddingMask, isCausal));
        return _norm2.Forward(x + FeedForwardBlock(x));
    }

    private Tensor SelfAttentionBlock(Tensor x, Tensor? mask, Tensor? keyPaddingMask, bool isCausal) =>
        Drop(_dropout1, _selfAttn.Forward(x, x, x, keyPaddingMask, needWeights: false, attnMask: mask, isCausal: isCausal).Output);

    private Tensor FeedForwardBlock(Tensor x) =>
        Drop(_dropout2, _linear2.Forward(Drop(_dropout, TransformerParts.Activate(Activation, _linear1.Forward(x)))));

    private Tensor Drop(Dropout d, Tensor x) => Functional.Dropout(x, d.P, Training, _generator);

    /// <inheritdoc/>
    public override string Describe() => $"TransformerEncoderLayer(activation: {Activation}, normFirst: {NormFirst})";
}

/// <summary>What the transformer layers share: the activation by name.</summary>
internal static class TransformerParts
{
    /// <summary>The activation's name in lower case.</summary>
    /// <exception cref="ArgumentException">Neither "relu" nor "gelu".</exception>
    public static string CheckActivation(string module, string activation)
    {
        var name = activation?.ToLowerInvariant();
        if (name is not ("relu" or "gelu")) Check.Fail(module, $"activation must be \"relu\" or \"gelu\", got \"{activation}\".", nameof(activation));
        return name;
    }

    public static Tensor Activate(string activation, Tensor x) => activation == "gelu" ? Ops.Gelu(x) : Ops.Relu(x);
}
