namespace Autodiff.NN;

/// <summary>A stack of encoder layers, optionally followed by a layer norm. Same as <c>torch.nn.TransformerEncoder</c>.</summary>
/// <remarks>Forward: each layer in turn with the same masks, then <c>norm</c> when given. State-dict keys are PyTorch's:
/// <c>layers.0.self_attn.in_proj_weight</c>, ..., <c>norm.weight</c>. PyTorch deep-copies one layer (all start equal);
/// here a factory builds each layer, so they start from different draws unless the factory makes them equal.</remarks>
/// <example><code>
/// var encoder = new TransformerEncoder(_ => new TransformerEncoderLayer(128, 4, 512, batchFirst: true, normFirst: true), 4, new LayerNorm(128));
/// var y = encoder.Forward(x, isCausal: true);
/// </code></example>
public sealed class TransformerEncoder : Module
{
    private readonly ModuleList _layers;
    private readonly LayerNorm? _norm;

    /// <summary>Creates <paramref name="numLayers"/> layers with <paramref name="layerFactory"/> (given the layer's index).</summary>
    /// <exception cref="ArgumentException">numLayers is negative.</exception>
    public TransformerEncoder(Func<int, TransformerEncoderLayer> layerFactory, int numLayers, LayerNorm? norm = null)
        : this(Build(layerFactory, numLayers), norm) { }

    /// <summary>Stacks the given layers.</summary>
    /// <exception cref="ArgumentNullException">layers is null.</exception>
    public TransformerEncoder(IEnumerable<TransformerEncoderLayer> layers, LayerNorm? norm = null)
    {
        ArgumentNullException.ThrowIfNull(layers);
        _layers = RegisterModule("layers", new ModuleList(layers));
        if (norm is not null) _norm = RegisterModule("norm", norm);
    }

    private static IEnumerable<TransformerEncoderLayer> Build(Func<int, TransformerEncoderLayer> layerFactory, int numLayers)
    {
        ArgumentNullException.ThrowIfNull(layerFactory);
        if (numLayers < 0) Check.Fail("TransformerEncoder", $"numLayers must not be negative, got {numLayers}.", nameof(numLayers));
        return Enumerable.Range(0, numLayers).Select(layerFactory).ToList();
    }

    /// <summary>The layers, <c>layers.0</c>, <c>layers.1</c>, ....</summary>
    public IReadOnlyList<TransformerEncoderLayer> Layers => _layers.Cast<TransformerEncoderLayer>().ToList();

    /// <summary>The final layer norm, or null.</summary>
    public LayerNorm? Norm => _norm;

    /// <summary>Applies the stack without masks.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null, null, false);

    /// <summary>Applies every layer with the same masks, then the norm. Same as <c>TransformerEncoder.forward(src, mask,
    /// src_key_padding_mask, is_causal)</c>.</summary>
    /// <param name="src">[L, N, E] ([N, L, E] with batchFirst), or [L, E].</param>
    /// <param name="mask">[L, L] or [N·H, L, L]; null for none.</param>
    /// <param name="srcKeyPaddingMask">[N, L]: true at padding; null for none.</param>
    /// <param name="isCausal">Applies the causal mask when mask is null.</param>
    /// <returns>The output, shaped as src.</returns>
    public Tensor Forward(Tensor src, Tensor? mask = null, Tensor? srcKeyPaddingMask = null, bool isCausal = false)
    {
        var x = src;
        foreach (var layer in _layers) x = ((TransformerEncoderLayer)layer).Forward(x, mask, srcKeyPaddingMask, isCausal);
        return _norm is null ? x : _norm.Forward(x);
    }

    /// <inheritdoc/>
    public override string Describe() => $"TransformerEncoder(numLayers: {_layers.Count})";
}
