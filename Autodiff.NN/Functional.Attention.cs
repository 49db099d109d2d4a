namespace Autodiff.NN;

public static partial class Functional
{
    /// <summary>Attention of queries over keys and values: <c>softmax(Q·Kᵀ·scale + mask)·V</c> per (batch, head), as one
    /// fused op. Same as PyTorch 2.x's <c>torch.nn.functional.scaled_dot_product_attention(query, key, value, attn_mask,
    /// dropout_p, is_causal, scale)</c>.</summary>
    /// <remarks>See <see cref="Ops.ScaledDotProductAttention"/> for the formulas, what the backward keeps, and masked rows
    /// (all keys masked gives 0, not NaN). A Bool mask is true where a query may attend (PyTorch's convention for this
    /// function; <c>MultiheadAttention</c> takes PyTorch's opposite convention for its masks). The mask gets no
    /// gradient: an additive mask that requires grad is refused. Dropout applies whenever <paramref name="dropoutP"/> &gt; 0,
    /// as in PyTorch: pass <c>training ? p : 0</c>.</remarks>
    /// <param name="query">Queries <c>[..., L, E]</c>, e.g. <c>[B, H, L, E]</c>.</param>
    /// <param name="key">Keys <c>[..., S, E]</c>.</param>
    /// <param name="value">Values <c>[..., S, Ev]</c>.</param>
    /// <param name="attnMask">Null, a Bool mask (true = may attend) or an additive mask, broadcastable to <c>[..., L, S]</c>.</param>
    /// <param name="dropoutP">The probability of dropping an attention weight, in [0, 1).</param>
    /// <param name="isCausal">Whether to apply the causal mask <c>j ≤ i</c>; not together with a mask.</param>
    /// <param name="scale">The factor of the scores; null for <c>1/√E</c>.</param>
    /// <param name="generator">Where the dropout mask is drawn from; null for <see cref="Generator.Default"/>.</param>
    /// <returns>The attention output <c>[..., L, Ev]</c>.</returns>
    /// <exception cref="ArgumentNullException">query, key or value is null.</exception>
    /// <exception cref="ArgumentException">Shapes, dtypes, the mask, isCausal with a mask, or dropoutP are invalid (see
    /// <see cref="Ops.ScaledDotProductAttention"/>).</exception>
    /// <example><code>var y = Functional.ScaledDotProductAttention(q, k, v, isCausal: true, dropoutP: Training ? 0.1 : 0);</code></example>
    public static Tensor ScaledDotProductAttention(Tensor query, Tensor key, Tensor value, Tensor? attnMask = null, double dropoutP = 0.0,
        bool isCausal = false, double? scale = null, Generator? generator = null) =>
        Ops.ScaledDotProductAttention(query, key, value, attnMask, dropoutP, isCausal, scale, generator);
}
