// What this shows: multi-head causal self-attention as nanoGPT's CausalSelfAttention: one Linear makes queries, keys and
// values [B, T, 3C], split into H heads [B, H, T, D], attended with the causal mask, merged back to [B, T, C] and
// projected, through the fused Functional.ScaledDotProductAttention. With a key/value cache, the new positions' keys and values are appended to the layer's cache and the
// queries attend to every cached position (and to the new ones up to their own).
using Autodiff.NN;

namespace Autodiff.Examples.Gpt;

/// <summary>Causal multi-head self-attention with an optional key/value cache.</summary>
internal sealed partial class CausalSelfAttention : Module
{
    private readonly Linear _cAttn, _cProj;
    private readonly Dropout _residDropout;
    private readonly int _heads;
    private readonly double _dropout;

    public CausalSelfAttention(ModelConfig config, Generator generator)
    {
        _cAttn = RegisterModule("c_attn", new Linear(config.Channels, 3 * config.Channels, generator: generator));
        _cProj = RegisterModule("c_proj", new Linear(config.Channels, config.Channels, generator: generator));
        _residDropout = RegisterModule("resid_dropout", new Dropout(config.Dropout));
        (_heads, _dropout) = (config.Heads, config.Dropout);
    }

    /// <summary>Test hook: when set, replaces the causal mask of a full forward (a deliberately broken mask for the
    /// causality check). True = may attend, as PyTorch's boolean attn_mask; [T, T].</summary>
    internal Func<int, Tensor>? MaskOverride { get; set; }

    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>x [B, T, C] → [B, T, C]; <paramref name="cache"/> holds the layer's earlier positions when decoding.</summary>
    public Tensor Forward(Tensor x, KeyValueCache? cache)
    {
        int b = x.Shape[0], t = x.Shape[1], c = x.Shape[2], d = c / _heads;
        var qkv = _cAttn.Forward(x);                                                           // [B, T, 3C]
        Tensor Heads(int i) => qkv.Slice(2, i * c, (i + 1) * c).Reshape(b, t, _heads, d).Transpose(1, 2);   // [B, H, T, D]
        var (q, k, v) = (Heads(0), Heads(1), Heads(2));
        Tensor y;
        if (cache is null)
            y = MaskOverride is { } mask ? Attention(q, k, v, mask(t), isCausal: false) : Attention(q, k, v, null, isCausal: true);
        else
        {
            int past = cache.Length;
            (k, v) = cache.Append(k, v);                                                       // [B, H, past + T, D]
            y = Attention(q, k, v, t == 1 ? null : CausalMask(t, past + t), isCausal: false);   // one query sees every key
        }
        y = y.Transpose(1, 2).Reshape(b, t, c);                                                // [B, T, C]
        return _residDropout.Forward(_cProj.Forward(y));
    }

    /// <summary>The queries of the last <paramref name="queries"/> of <paramref name="keys"/> positions: query i may attend
    /// to key j when j ≤ keys - queries + i. True = attend; [queries, keys].</summary>
    internal static Tensor CausalMask(int queries, int keys)
    {
        var allowed = new bool[queries * keys];
        for (int i = 0; i < queries; i++)
            for (int j = 0; j <= keys - queries + i; j++) allowed[i * keys + j] = true;
        return Tensor.FromArray(allowed, queries, keys);
    }

    /// <summary>softmax(q kᵀ/√D, masked) v, with attention dropout in training: the fused op.</summary>
    private Tensor Attention(Tensor q, Tensor k, Tensor v, Tensor? allowed, bool isCausal) =>
        Functional.ScaledDotProductAttention(q, k, v, allowed, dropoutP: Training ? _dropout : 0, isCausal: isCausal);   // [B, H, Tq, D]
}
