namespace Autodiff.NN;

/// <summary>One transformer decoder block: self-attention, attention over the encoder's memory, and a feed-forward
/// network, each with a residual connection, dropout and layer normalization. Same as <c>torch.nn.TransformerDecoderLayer</c>.</summary>
/// <remarks>
/// <para>Forward, post-norm (the default): <c>x = norm1(x + sa(x))</c>, <c>x = norm2(x + mha(x, memory))</c>,
/// <c>x = norm3(x + ff(x))</c>; pre-norm (<c>normFirst</c>): <c>x = x + sa(norm1(x))</c>, <c>x = x + mha(norm2(x), memory)</c>,
/// <c>x = x + ff(norm3(x))</c>; with <c>sa(x) = dropout1(self_attn(x, x, x))</c>,
/// <c>mha(x, m) = dropout2(multihead_attn(x, m, m))</c> and <c>ff(x) = dropout3(linear2(dropout(activation(linear1(x)))))</c>.</para>
/// <para>Submodules and state-dict keys are PyTorch's: <c>self_attn</c>, <c>multihead_attn</c>, <c>linear1</c>,
/// <c>linear2</c>, <c>norm1</c>, <c>norm2</c>, <c>norm3</c> (and <c>dropout</c>, <c>dropout1</c>..<c>dropout3</c>).
/// Masks follow <see cref="MultiheadAttention"/>.</para>
/// </remarks>
/// <example><code>
/// var layer = new TransformerDecoderLayer(dModel: 128, nhead: 4, batchFirst: true);
/// var y = layer.Forward(tgt, memory, tgtIsCausal: true);    // tgt [N, T, 128], memory [N, S, 128]
/// </code></example>
public sealed class TransformerDecoderLayer : Module
{
    private readonly MultiheadAttention _selfAttn, _multiheadAttn;
    private readonly Linear _linear1, _linear2;
    private readonly LayerNorm _norm1, _norm2, _norm3;
    private readonly Dropout _dropout, _dropout1, _dropout2, _dropout3;
    private readonly Generator? _generator;

    /// <summary>Creates the layer and initialises it.</summary>
    /// <param name="dModel">The model's width E.</param>
    /// <param name="nhead">The number of attention heads; must divide dModel.</param>
    /// <param name="dimFeedforward">The hidden width of the feed-forward network.</param>
    /// <param name="dropout">The dropout probability, in [0, 1).</param>
    /// <param name="activation">"relu" or "gelu" (exact, erf-based).</param>
    /// <param name="layerNormEps">The layer norms' eps.</param>
    /// <param name="batchFirst">Inputs are [N, L, E] when true, [L, N, E] when false (PyTorch's default).</param>
    /// <param name="normFirst">Pre-norm when true, post-norm when false.</param>
    /// <param name="bias">Whether the linear layers and layer norms have biases.</param>
    /// <param name="generator">Where initial weights and dropout masks are drawn from; null for <see cref="Generator.Default"/>.</param>
    /// <exception cref="ArgumentException">A size is not positive, nhead does not divide dModel, dropout is outside [0, 1),
    /// or the activation is neither "relu" nor "gelu".</exception>
    public TransformerDecoderLayer(int dModel, int nhead, int dimFeedforward = 2048, double dropout = 0.1, string activation = "relu",
        double layerNormEps = 1e-5, bool batchFirst = false, bool normFirst = false, bool bias = true, Generator? generator = null)
    {
        Activation = TransformerParts.CheckActivation("TransformerDecoderLayer", activation);
        (NormFirst, _generator) = (normFirst, generator);
        _selfAttn = RegisterModule("self_attn", new MultiheadAttention(dModel, nhead, dropout, bias, batchFirst, generator: generator));
        _multiheadAttn = RegisterModule("multihead_attn", new MultiheadAttention(dModel, nhead, dropout, bias, batchFirst, generator: generator));
        _linear1 = RegisterModule("linear1", new Linear(dModel, dimFeedforward, bias, generator));
        _dropout = RegisterModule("dropout", new Dropout(dropout));
        _linear2 = RegisterModule("linear2", new Linear(dimFeedforward, dModel, bias, generator));
        _norm1 = RegisterModule("norm1", new LayerNorm(dModel, layerNormEps, bias: bias));
        _norm2 = RegisterModule("norm2", new LayerNorm(dModel, layerNormEps, bias: bias));
        _norm3 = RegisterModule("norm3", new LayerNorm(dModel, layerNormEps, bias: bias));
        _dropout1 = RegisterModule("dropout1", new Dropout(dropout));
        _dropout2 = RegisterModule("dropout2", new Dropout(dropout));
        _dropout3 = RegisterModule("dropout3", new Dropout(dropout));
    }

    /// <summary>"relu" or "gelu".</summary>
    public string Activation { get; }

    /// <summary>Whether the layer norms come before each block (pre-norm).</summary>
    public bool NormFirst { get; }

    /// <summary>A decoder needs the encoder's memory: call <see cref="Forward(Tensor, Tensor, Tensor?, Tensor?, Tensor?, Tensor?, bool, bool)"/>.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override Tensor Forward(Tensor input) =>
        throw new NotSupportedException("TransformerDecoderLayer: Forward needs the encoder's memory; call Forward(tgt, memory, ...).");

    /// <summary>Applies the layer. Same as <c>TransformerDecoderLayer.forward(tgt, memory, tgt_mask, memory_mask,
    /// tgt_key_padding_mask, memory_key_padding_mask, tgt_is_causal, memory_is_causal)</c>.</summary>
    /// <param name="tgt">[T, N, E] ([N, T, E] with batchFirst), or [T, E].</param>
    /// <param name="memory">[S, N, E] ([N, S, E]), or [S, E].</param>
    /// <param name="tgtMask">[T, T] or [N·H, T, T] for the self-attention; null for none.</param>
    /// <param name="memoryMask">[T, S] or [N·H, T, S] for the attention over memory; null for none.</param>
    /// <param name="tgtKeyPaddingMask">[N, T]: true at padded target positions.</param>
    /// <param name="memoryKeyPaddingMask">[N, S]: true at padded memory positions.</param>
    /// <param name="tgtIsCausal">Applies the causal mask to the self-attention when tgtMask is null.</param>
    /// <param name="memoryIsCausal">Applies the causal mask to the attention over memory when memoryMask is null.</param>
    /// <returns>The output, shaped as tgt.</returns>
    /// <exception cref="ArgumentException">A shape does not fit.</exception>
    public Tensor Forward(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null, Tensor? tgtKeyPaddingMask = null,
        Tensor? memoryKeyPaddingMask = null, bool tgtIsCausal = false, bool memoryIsCausal = false)
    {
        var x = tgt;
        if (NormFirst)
        {
            x = x + SelfAttentionBlock(_norm1.Forward(x), tgtMask, tgtKeyPaddingMask, tgtIsCausal);
            x = x + MemoryBlock(_norm2.Forward(x), memory, memoryMask, memoryKeyPaddingMask, memoryIsCausal);
            return x + FeedForwardBlock(_norm3.Forward(x));
        }
        x = _norm1.Forward(x + SelfAttentionBlock(x, tgtMask, tgtKeyPaddingMask, tgtIsCausal));
        x = _norm2.Forward(x + MemoryBlock(x, memory, memoryMask, memoryKeyPaddingMask, memoryIsCausal));
        return _norm3.Forward(x + FeedForwardBlock(x));
    }

    private Tensor SelfAttentionBlock(Tensor x, Tensor? mask, Tensor? keyPaddingMask, bool isCausal) =>
        Drop(_dropout1, _selfAttn.Forward(x, x, x, keyPaddingMask, needWeights: false, attnMask: mask, isCausal: isCausal).Output);

    private Tensor MemoryBlock(Tensor x, Tensor memory, Tensor? mask, Tensor? keyPaddingMask, bool isCausal) =>
        Drop(_dropout2, _multiheadAttn.Forward(x, memory, memory, keyPaddingMask, needWeights: false, attnMask: mask, isCausal: isCausal).Output);

    private Tensor FeedForwardBlock(Tensor x) =>
        Drop(_dropout3, _linear2.Forward(Drop(_dropout, TransformerParts.Activate(Activation, _linear1.Forward(x)))));

    private Tensor Drop(Dropout d, Tensor x) => Functional.Dropout(x, d.P, Training, _generator);

    /// <inheritdoc/>
    public override string Describe() => $"TransformerDecoderLayer(activation: {Activation}, normFirst: {NormFirst})";
}
