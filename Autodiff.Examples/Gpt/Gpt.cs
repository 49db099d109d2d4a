// What this shows: a character-level GPT as nanoGPT's model.py writes it — token and position embeddings, N pre-norm
// blocks (LayerNorm, causal self-attention, residual; LayerNorm, MLP 4x with GELU, residual), a final LayerNorm and a head
// that shares the token embedding's weight — with nanoGPT's parameter names (wte, wpe, h.0.ln_1, h.0.attn.c_attn, ...,
// ln_f) and initialisation, and a key/value cache so that sampling costs one position of work per new token.
using Autodiff.NN;

namespace Autodiff.Examples.Gpt;

/// <summary>The transformer language model.</summary>
internal sealed partial class Gpt : CharModel
{
    private readonly Embedding _wte, _wpe;
    private readonly Dropout _drop;
    private readonly ModuleList _h;
    private readonly Block[] _blocks;
    private readonly LayerNorm _lnF;

    public Gpt(ModelConfig config, Generator? generator = null) : base(config)
    {
        if (config.Channels % config.Heads != 0)
            throw new ArgumentException($"Gpt: channels {config.Channels} must be a multiple of heads {config.Heads}.");
        var g = generator ?? Generator.Default;
        _wte = RegisterModule("wte", new Embedding(config.VocabSize, config.Channels, generator: g));
        _wpe = RegisterModule("wpe", new Embedding(config.Context, config.Channels, generator: g));
        _drop = RegisterModule("drop", new Dropout(config.Dropout));
        _blocks = Enumerable.Range(0, config.Layers).Select(_ => new Block(config, g)).ToArray();
        _h = RegisterModule("h", new ModuleList(_blocks));
        _lnF = RegisterModule("ln_f", new LayerNorm(config.Channels));
        ResetParameters(g);
    }

    /// <summary>nanoGPT's _init_weights: every Linear weight and both embeddings N(0, 0.02²), biases zero, and the
    /// projections back into the residual stream (c_proj) N(0, (0.02/√(2·layers))²).</summary>
    public void ResetParameters(Generator? generator = null)
    {
        foreach (var (name, p) in NamedParameters())
        {
            if (p.Rank < 2) { if (name.EndsWith("bias", StringComparison.Ordinal)) Init.Zeros_(p); else Init.Ones_(p); continue; }
            double std = name.EndsWith("c_proj.weight", StringComparison.Ordinal) ? 0.02 / Math.Sqrt(2.0 * Config.Layers) : 0.02;
            Init.Normal_(p, 0, std, generator);
        }
    }

    public override Tensor Logits(int[] tokens, int batch, int length) => Run(tokens, batch, length, 0, null, lastOnly: false);

    public override IDecoder NewDecoder(bool cache = true) => cache ? new CachedDecoder(this) : base.NewDecoder(cache);

    /// <summary>Logits [B, T, V] (or [B, 1, V] for the last position only) of tokens at positions start..start+T-1,
    /// attending to the cached positions before them when <paramref name="caches"/> (one per layer) is given.</summary>
    private Tensor Run(int[] tokens, int batch, int length, int start, KeyValueCache[]? caches, bool lastOnly)
    {
        if (start + length > Config.Context)
            throw new ArgumentException($"Gpt: positions {start}..{start + length - 1} exceed the context of {Config.Context}.");
        return Body(_wte.Forward(tokens, [batch, length]), start, caches, lastOnly);   // tokens [B, T] -> [B, T, C]
    }

    public override Tensor FromEmbeddings(Tensor embedded) => Body(embedded, 0, null, lastOnly: false);

    /// <summary>Test hook: the attention layers, to break one's mask on purpose.</summary>
    internal IEnumerable<CausalSelfAttention> Attentions => _blocks.Select(b => b.Attention);

    private Tensor Body(Tensor tok, int start, KeyValueCache[]? caches, bool lastOnly)
    {
        int length = tok.Shape[1];
        var pos = _wpe.Forward(Enumerable.Range(start, length).ToArray());         // [T, C]
        var x = _drop.Forward(tok + pos);
        for (int i = 0; i < _blocks.Length; i++) x = _blocks[i].Forward(x, caches?[i]);
        if (lastOnly && length > 1) x = x.Slice(1, length - 1, length);             // [B, 1, C]
        return Ops.Linear(_lnF.Forward(x), _wte.Weight);                           // weight-tied head: x · wteᵀ
    }

    public override string Describe() => $"Gpt({Config.Describe()})";

    /// <summary>Generation with a key/value cache per layer: a fed token runs through the model alone, attending to the
    /// keys and values kept from the tokens before it. When the context is full, the cache restarts from the last
    /// half-context tokens (one batched recompute, positions renumbered from 0) and fills again, so the model always
    /// sees at least half a context of history and each token still costs one position of work on average.</summary>
    private sealed class CachedDecoder(Gpt model) : IDecoder
    {
        private readonly List<int> _history = [];
        private KeyValueCache[] _caches = NewCaches(model);
        private int _length;   // positions in the cache

        private static KeyValueCache[] NewCaches(Gpt model) => model._blocks.Select(_ => new KeyValueCache()).ToArray();

        public Tensor Feed(ReadOnlySpan<int> tokens)
        {
            if (tokens.IsEmpty) throw new ArgumentException("Decoder: feed at least one token.");
            _history.AddRange(tokens);
            int context = model.Config.Context;
            int[] fresh;
            if (_length + tokens.Length <= context) fresh = tokens.ToArray();
            else
            {
                int keep = Math.Min(context, Math.Max(tokens.Length, context - context / 2));   // slide: recompute once
                fresh = _history.GetRange(_history.Count - keep, keep).ToArray();
                (_caches, _length) = (NewCaches(model), 0);
            }
            var logits = model.Run(fresh, 1, fresh.Length, _length, _caches, lastOnly: true);   // [1, 1, V]
            _length += fresh.Length;
            return logits.Reshape(model.Config.VocabSize);
        }
    }
}

/// <summary>One layer's keys and values so far, [B, H, t, D] each.</summary>
internal sealed class KeyValueCache
{
    public Tensor? Keys { get; private set; }

    public Tensor? Values { get; private set; }

    public int Length => Keys?.Shape[2] ?? 0;

    /// <summary>Appends the new positions' keys and values [B, H, n, D] and returns all of them [B, H, t + n, D].</summary>
    public (Tensor Keys, Tensor Values) Append(Tensor keys, Tensor values)
    {
        (Keys, Values) = Keys is null ? (keys, values) : (Ops.Cat([Keys, keys], 2), Ops.Cat([Values!, values], 2));
        return (Keys!, Values!);
    }
}

/// <summary>LayerNorm → causal self-attention → residual; LayerNorm → MLP → residual.</summary>
internal sealed partial class Block : Module
{
    private readonly LayerNorm _ln1, _ln2;
    private readonly CausalSelfAttention _attn;
    private readonly Mlp _mlp;

    public Block(ModelConfig config, Generator generator)
    {
        _ln1 = RegisterModule("ln_1", new LayerNorm(config.Channels));
        _attn = RegisterModule("attn", new CausalSelfAttention(config, generator));
        _ln2 = RegisterModule("ln_2", new LayerNorm(config.Channels));
        _mlp = RegisterModule("mlp", new Mlp(config, generator));
    }

    public CausalSelfAttention Attention => _attn;

    public override Tensor Forward(Tensor input) => Forward(input, null);

    public Tensor Forward(Tensor x, KeyValueCache? cache)
    {
        x = x + _attn.Forward(_ln1.Forward(x), cache);
        return x + _mlp.Forward(_ln2.Forward(x));
    }
}

/// <summary>Linear(C, 4C) → GELU → Linear(4C, C) → dropout.</summary>
internal sealed partial class Mlp : Module
{
    private readonly Linear _cFc, _cProj;
    private readonly Dropout _dropout;

    public Mlp(ModelConfig config, Generator generator)
    {
        _cFc = RegisterModule("c_fc", new Linear(config.Channels, 4 * config.Channels, generator: generator));
        _cProj = RegisterModule("c_proj", new Linear(4 * config.Channels, config.Channels, generator: generator));
        _dropout = RegisterModule("dropout", new Dropout(config.Dropout));
    }

    public override Tensor Forward(Tensor x) => _dropout.Forward(_cProj.Forward(_cFc.Forward(x).Gelu()));
}
