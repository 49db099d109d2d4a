namespace Autodiff.NN;

// Attention for IOnnxExportable modules: the fused op and a MultiheadAttention called with masks, written with the same
// nodes as the exporter's (OnnxExporter.Attention.cs), so a causal mask follows the lengths in the graph.
public sealed partial class OnnxExportContext
{
    /// <summary><c>softmax(q·kᵀ·scale + mask)·v</c> over the last two dims. Same as <see cref="Ops.ScaledDotProductAttention"/>
    /// (PyTorch's <c>scaled_dot_product_attention</c>): a Bool mask is true where a query MAY attend, a float one is added;
    /// <paramref name="isCausal"/> is the mask <c>j ≤ i</c>, built for the lengths in the graph; a row with no key allowed
    /// gives 0. Written as MatMul, Softmax and Where.</summary>
    /// <exception cref="ArgumentException">The shapes, dtypes or mask do not fit, or isCausal is set with a mask.</exception>
    public OnnxValue ScaledDotProductAttention(OnnxValue query, OnnxValue key, OnnxValue value, OnnxValue? attnMask = null, bool isCausal = false,
        double? scale = null)
    {
        OnnxValue[] inputs = attnMask is { } m ? [query, key, value, m] : [query, key, value];
        var y = Sample("ScaledDotProductAttention", inputs,
            () => Ops.ScaledDotProductAttention(query.Sample, key.Sample, value.Sample, attnMask?.Sample, isCausal: isCausal, scale: scale));
        var masks = attnMask is { } mask ? new[] { new AttentionMask(mask.Name, mask.Sample.DType == DType.Bool, TrueAllows: true) } : [];
        int rank = query.Sample.Rank, e = query.Sample.Shape[^1];
        var (heads, _) = _exporter.EmitAttentionCore(Scope, query.Name, key.Name, value.Name, rank, e, query.Sample.DType, masks, isCausal,
            scale ?? 1 / Math.Sqrt(e));
        return new(heads, y);
    }

    /// <summary>A <see cref="NN.MultiheadAttention"/> of this model called with masks: <c>attention.Forward(query, key, value,
    /// keyPaddingMask, needWeights, attnMask, averageAttnWeights, isCausal)</c>, written as <see cref="Onnx"/> writes the
    /// module (a causal mask built for the lengths in the graph; masks may be graph values or <see cref="Value"/> constants).</summary>
    /// <returns>The output and, with <paramref name="needWeights"/>, the weights.</returns>
    /// <exception cref="ArgumentException">A shape or mask does not fit (the module's own check).</exception>
    /// <exception cref="NotSupportedException">The query is unbatched.</exception>
    public (OnnxValue Output, OnnxValue? Weights) Attention(MultiheadAttention attention, OnnxValue query, OnnxValue key, OnnxValue value,
        OnnxValue? keyPaddingMask = null, OnnxValue? attnMask = null, bool isCausal = false, bool needWeights = false, bool averageAttnWeights = true)
    {
        ArgumentNullException.ThrowIfNull(attention);
        var inputs = new[] { query, key, value }.Concat(keyPaddingMask is { } p ? [p] : []).Concat(attnMask is { } m ? [m] : []).ToArray();
        Tensor? weights = null;
        var y = Sample("MultiheadAttention", inputs, () =>
        {
            var r = attention.Forward(query.Sample, key.Sample, value.Sample,
                keyPaddingMask?.Sample, needWeights, attnMask?.Sample, averageAttnWeights, isCausal);
            weights = r.Weights;
            return r.Output;
        });
        var (output, weightsName) = _exporter.EmitAttention(attention, _exporter.ScopeOf(attention), query, key, value,
            new AttentionArguments(keyPaddingMask, attnMask, isCausal, needWeights, averageAttnWeights));
        return (new(output, y), weightsName is null ? null : new(weightsName, weights!));
    }
}
