namespace Autodiff.NN;

/// <summary>Multi-head attention: queries, keys and values projected, split into heads, attended with scaled dot products,
/// merged and projected again. Same as <c>torch.nn.MultiheadAttention</c>.</summary>
/// <remarks>
/// <para>Forward, for E = embedDim, H = numHeads and head size <c>E/H</c>: <c>q = query·Wqᵀ + bq</c>, <c>k = key·Wkᵀ + bk</c>,
/// <c>v = value·Wvᵀ + bv</c> (Wq, Wk, Wv the three row blocks of <c>in_proj_weight</c>, or <c>q_proj_weight</c>,
/// <c>k_proj_weight</c>, <c>v_proj_weight</c> when kdim or vdim differ from E), each split into H heads;
/// per head <c>softmax(q·kᵀ/√(E/H) + mask)·v</c>, with dropout on the weights in training mode; the heads concatenated
/// and projected by <c>out_proj</c>. Without the weights (<c>needWeights: false</c>, and <see cref="Forward(Tensor)"/>)
/// the heads go through the fused <see cref="Ops.ScaledDotProductAttention"/>; with them, through ops that also return
/// the weights (after dropout, averaged over the heads unless <c>averageAttnWeights</c> is false), as PyTorch.</para>
/// <para>Masks take PyTorch's convention for this module: a Bool <c>attnMask</c> [L, S] or [N·H, L, S] is true where a
/// query may NOT attend, a float one is added to the scores; <c>keyPaddingMask</c> [N, S] (or [S] unbatched) is true at
/// keys to ignore (a float one is added). A query whose every key is masked gets an output of 0 (PyTorch ≥ 2.5), not
/// NaN. <c>isCausal</c> without <c>attnMask</c> applies the causal mask <c>j ≤ i</c> (PyTorch insists on the mask as
/// well and treats the flag as a hint; with a mask given, the mask is used, as there).</para>
/// <para>Initialisation as PyTorch's: <c>in_proj_weight</c> (or the three projections) Xavier-uniform, <c>in_proj_bias</c>
/// and <c>out_proj.bias</c> zero, <c>out_proj.weight</c> as a <see cref="Linear"/>'s.</para>
/// </remarks>
/// <example><code>
/// var mha = new MultiheadAttention(embedDim: 128, numHeads: 4, batchFirst: true);
/// var (y, weights) = mha.Forward(x, x, x);            // x [N, L, 128] -> y [N, L, 128], weights [N, L, L]
/// var z = mha.Forward(x);                             // self-attention through the fused kernel, no weights
/// </code></example>
public sealed class MultiheadAttention : Module
{
    private const string Name = "MultiheadAttention";
    private readonly Generator? _generator;
    private readonly Linear _outProj;

    /// <summary>Creates the layer and initialises it.</summary>
    /// <param name="embedDim">E: the size of queries and of the output.</param>
    /// <param name="numHeads">H: the number of heads; must divide embedDim.</param>
    /// <param name="dropout">The dropout probability on the attention weights in training mode, in [0, 1).</param>
    /// <param name="bias">Whether the input and output projections have biases.</param>
    /// <param name="batchFirst">Inputs and outputs are [N, L, E] when true, [L, N, E] (PyTorch's default) when false.</param>
    /// <param name="kdim">The size of keys; null for embedDim.</param>
    /// <param name="vdim">The size of values; null for embedDim.</param>
    /// <param name="generator">Where the initial weights and the dropout masks are drawn from; null for <see cref="Generator.Default"/>.</param>
    /// <exception cref="ArgumentException">A size is not positive, numHeads does not divide embedDim, or dropout is outside [0, 1).</exception>
    public MultiheadAttention(int embedDim, int numHeads, double dropout = 0, bool bias = true, bool batchFirst = false, int? kdim = null,
        int? vdim = null, Generator? generator = null)
    {
        int kd = kdim ?? embedDim, vd = vdim ?? embedDim;
        if (embedDim <= 0 || numHeads <= 0 || kd <= 0 || vd <= 0)
            Check.Fail(Name, $"sizes must be positive, got embedDim {embedDim}, numHeads {numHeads}, kdim {kd}, vdim {vd}.", nameof(embedDim));
        if (embedDim % numHeads != 0) Check.Fail(Name, $"embedDim {embedDim} must be divisible by numHeads {numHeads}.", nameof(numHeads));
        if (!(dropout >= 0 && dropout < 1)) Check.Fail(Name, $"dropout must be in [0, 1), got {dropout}.", nameof(dropout));
        (EmbedDim, NumHeads, Dropout, BatchFirst, KDim, VDim, _generator) = (embedDim, numHeads, dropout, batchFirst, kd, vd, generator);
        if (SameEmbedDim) RegisterParameter("in_proj_weight", Tensor.Zeros(3 * embedDim, embedDim));
        else
        {
            RegisterParameter("q_proj_weight", Tensor.Zeros(embedDim, embedDim));
            RegisterParameter("k_proj_weight", Tensor.Zeros(embedDim, kd));
            RegisterParameter("v_proj_weight", Tensor.Zeros(embedDim, vd));
        }
        if (bias) RegisterParameter("in_proj_bias", Tensor.Zeros(3 * embedDim));
        _outProj = RegisterModule("out_proj", new Linear(embedDim, embedDim, bias, generator));
        ResetParameters(generator);
    }

    /// <summary>E: the size of queries and of the output.</summary>
    public int EmbedDim { get; }

    /// <summary>H: the number of heads.</summary>
    public int NumHeads { get; }

    /// <summary>The size of one head, <c>EmbedDim / NumHeads</c>.</summary>
    public int HeadDim => EmbedDim / NumHeads;

    /// <summary>The dropout probability on the attention weights in training mode.</summary>
    public double Dropout { get; }

    /// <summary>Whether inputs and outputs are [N, L, E] (true) or [L, N, E] (false).</summary>
    public bool BatchFirst { get; }

    /// <summary>The size of keys.</summary>
    public int KDim { get; }

    /// <summary>The size of values.</summary>
    public int VDim { get; }

    private bool SameEmbedDim => KDim == EmbedDim && VDim == EmbedDim;

    /// <summary>The packed input projection [3E, E] (queries, keys, values), or null when kdim or vdim differ from E.</summary>
    public Tensor? InProjWeight => SameEmbedDim ? GetParameter("in_proj_weight") : null;

    /// <summary>The packed input bias [3E], or null without biases.</summary>
    public Tensor? InProjBias => _outProj.Bias is null ? null : GetParameter("in_proj_bias");

    /// <summary>The output projection <c>out_proj</c> (E to E).</summary>
    public Linear OutProj => _outProj;

    /// <summary>Redraws the weights as PyTorch's <c>_reset_parameters</c>: Xavier-uniform input projections, zero biases,
    /// <c>out_proj.weight</c> as a Linear's; from <paramref name="generator"/> or <see cref="Generator.Default"/>.</summary>
    public void ResetParameters(Generator? generator = null)
    {
        _outProj.ResetParameters(generator);
        if (SameEmbedDim) Init.XavierUniform_(GetParameter("in_proj_weight")!, generator: generator);
        else
            foreach (var name in new[] { "q_proj_weight", "k_proj_weight", "v_proj_weight" }) Init.XavierUniform_(GetParameter(name)!, generator: generator);
        if (InProjBias is { } b) Init.Zeros_(b);
        if (_outProj.Bias is { } ob) Init.Zeros_(ob);
    }

    /// <summary>Self-attention of <paramref name="input"/> ([L, N, E], [N, L, E] with batchFirst, or [L, E]) without
    /// the weights, through the fused kernel.</summary>
    /// <exception cref="ArgumentException">The input's shape does not fit.</exception>
    public override Tensor Forward(Tensor input) => Forward(input, input, input, needWeights: false).Output;

    /// <summary>Attention of <paramref name="query"/> over <paramref name="key"/> and <paramref name="value"/>. Same as
    /// <c>torch.nn.MultiheadAttention.forward</c>.</summary>
    /// <param name="query">[L, N, E] ([N, L, E] with batchFirst), or [L, E] unbatched.</param>
    /// <param name="key">[S, N, kdim] ([N, S, kdim]), or [S, kdim].</param>
    /// <param name="value">[S, N, vdim] ([N, S, vdim]), or [S, vdim].</param>
    /// <param name="keyPaddingMask">[N, S] (or [S]): Bool, true at keys to ignore, or float, added; null for none.</param>
    /// <param name="needWeights">Whether to return the attention weights (PyTorch's default); false uses the fused kernel.</param>
    /// <param name="attnMask">[L, S] or [N·H, L, S]: Bool, true where a query may not attend, or float, added; null for none.</param>
    /// <param name="averageAttnWeights">Whether the returned weights are averaged over the heads ([N, L, S]) or per head ([N, H, L, S]).</param>
    /// <param name="isCausal">Applies the causal mask <c>j ≤ i</c> when no attnMask is given (a hint otherwise).</param>
    /// <returns>The output [L, N, E] ([N, L, E], or [L, E]) and the weights, or null when not needed.</returns>
    /// <exception cref="ArgumentException">A shape does not fit (the message names the argument and its shape), a mask is
    /// neither Bool nor the input's dtype, or the inputs' dtypes differ.</exception>
    public (Tensor Output, Tensor? Weights) Forward(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask = null, bool needWeights = true,
        Tensor? attnMask = null, bool averageAttnWeights = true, bool isCausal = false)
    {
        Check.NotNull(Name, query, nameof(query));
        Check.NotNull(Name, key, nameof(key));
        Check.NotNull(Name, value, nameof(value));
        bool batched = query.Rank == 3;
        if (query.Rank is not (2 or 3) || key.Rank != query.Rank || value.Rank != query.Rank)
            Check.Fail(Name, $"query, key and value must all be 3-D (batched) or 2-D (unbatched), got query {query.Shape}, key {key.Shape}, value {value.Shape}.", nameof(query));
        // To [N, L, E].
        Tensor Batch(Tensor t) => !batched ? Ops.Unsqueeze(t, 0) : BatchFirst ? t : Ops.Transpose(t, 0, 1);
        var (q0, k0, v0) = (Batch(query), ReferenceEquals(key, query) ? null : Batch(key), ReferenceEquals(value, key) ? null : Batch(value));
        k0 ??= q0;
        v0 ??= k0;
        int n = q0.Shape[0], l = q0.Shape[1], s = k0.Shape[1], e = EmbedDim;
        if (q0.Shape[2] != e || k0.Shape[2] != KDim || v0.Shape[2] != VDim || v0.Shape[0] != n || k0.Shape[0] != n || v0.Shape[1] != s)
            Check.Fail(Name, $"expected query [.., E = {e}], key [.., kdim = {KDim}] and value [.., vdim = {VDim}] with one batch size and " +
                $"key and value of one length (batchFirst: {BatchFirst}), got query {query.Shape}, key {key.Shape}, value {value.Shape}.", nameof(query));

        var (q, k, v) = Project(q0, k0, v0);                                              // [N, H, L, hd], [N, H, S, hd] x 2
        var (mask, causal) = Mask(query, keyPaddingMask, attnMask, isCausal, batched, n, l, s);
        double p = Training ? Dropout : 0;
        Tensor heads;
        Tensor? weights = null;
        if (!needWeights) heads = Ops.ScaledDotProductAttention(q, k, v, mask, p, causal, generator: _generator);
        else
        {
            weights = Weights(q, k, mask, causal, p);                                     // [N, H, L, S]
            heads = Ops.MatMul(weights, v);
            if (averageAttnWeights) weights = Ops.Mean(weights, 1);
            if (!batched) weights = Ops.Squeeze(weights, 0);
        }
        var merged = Ops.Reshape(Ops.Permute(heads, 0, 2, 1, 3), n, l, e);               // [N, L, E]
        var y = _outProj.Forward(merged);
        y = !batched ? Ops.Squeeze(y, 0) : BatchFirst ? y : Ops.Transpose(y, 0, 1);
        return (y, weights);
    }

    /// <summary>The input projections, split into heads: [N, H, L, hd] for q and [N, H, S, hd] for k and v. Self-attention
    /// (one tensor for all three) is one product with the packed weight.</summary>
    private (Tensor Q, Tensor K, Tensor V) Project(Tensor query, Tensor key, Tensor value)
    {
        int e = EmbedDim, h = NumHeads, hd = HeadDim;
        var bias = InProjBias;
        Tensor Heads(Tensor x) => Ops.Permute(Ops.Reshape(x, x.Shape[0], x.Shape[1], h, hd), 0, 2, 1, 3);
        if (SameEmbedDim && ReferenceEquals(query, key) && ReferenceEquals(key, value))
        {
            var qkv = Functional.Linear(query, GetParameter("in_proj_weight")!, bias);        // [N, L, 3E]
            var split = Ops.Permute(Ops.Reshape(qkv, query.Shape[0], query.Shape[1], 3, h, hd), 2, 0, 3, 1, 4);   // [3, N, H, L, hd]
            return (Ops.Select(split, 0, 0), Ops.Select(split, 0, 1), Ops.Select(split, 0, 2));
        }
        Tensor W(int i) => SameEmbedDim ? Ops.Slice(GetParameter("in_proj_weight")!, 0, i * e, (i + 1) * e)
            : GetParameter(i switch { 0 => "q_proj_weight", 1 => "k_proj_weight", _ => "v_proj_weight" })!;
        Tensor? B(int i) => bias is null ? null : Ops.Slice(bias, 0, i * e, (i + 1) * e);
        return (Heads(Functional.Linear(query, W(0), B(0))), Heads(Functional.Linear(key, W(1), B(1))), Heads(Functional.Linear(value, W(2), B(2))));
    }

    /// <summary>The masks merged into one for <see cref="Ops.ScaledDotProductAttention"/> (Bool true = may attend, or
    /// additive), broadcastable to [N, H, L, S]; or the causal flag alone.</summary>
    private (Tensor? Mask, bool Causal) Mask(Tensor query, Tensor? keyPaddingMask, Tensor? attnMask, bool isCausal, bool batched,
        int n, int l, int s)
    {
        var dtype = query.DType;
        void CheckDType(Tensor m, string name)
        {
            if (m.DType != DType.Bool && m.DType != dtype)
                Check.Fail(Name, $"{name} is {m.DType}; it must be Bool or the query's {dtype}.", name);
        }
        Tensor? padding = null, attn = null;                                              // as "blocked" Bool or additive
        if (keyPaddingMask is not null)
        {
            CheckDType(keyPaddingMask, nameof(keyPaddingMask));
            var expected = batched ? new Shape(n, s) : new Shape(s);
            if (keyPaddingMask.Shape != expected)
                Check.Fail(Name, $"keyPaddingMask must be {expected} ([N, S] batched, [S] unbatched), got {keyPaddingMask.Shape}.", nameof(keyPaddingMask));
            padding = Ops.Reshape(keyPaddingMask, n, 1, 1, s);
        }
        if (attnMask is not null)
        {
            CheckDType(attnMask, nameof(attnMask));
            if (attnMask.Shape == new Shape(l, s)) attn = attnMask;
            else if (attnMask.Shape == new Shape(n * NumHeads, l, s)) attn = Ops.Reshape(attnMask, n, NumHeads, l, s);
            else Check.Fail(Name, $"attnMask must be [L, S] = [{l}, {s}] or [N·H, L, S] = [{n * NumHeads}, {l}, {s}], got {attnMask.Shape}.", nameof(attnMask));
        }
        else if (isCausal)
        {
            if (padding is null) return (null, true);
            var blocked = new bool[l * s];
            for (int i = 0; i < l; i++)
                for (int j = i + 1; j < s; j++) blocked[i * s + j] = true;
            attn = Tensor.FromArray(blocked, l, s);
        }
        if (attn is null && padding is null) return (null, false);
        if ((attn is null || attn.DType == DType.Bool) && (padding is null || padding.DType == DType.Bool))
        {
            var blocked = attn is null ? padding! : padding is null ? attn : Ops.LogicalOr(attn, padding);
            return (Ops.LogicalNot(blocked), false);                                      // the op's convention: true = may attend
        }
        Tensor Additive(Tensor m) => m.DType != DType.Bool ? m
            : Ops.MaskedFill(Tensor.Zeros(m.Shape.ToArray(), dtype), m, double.NegativeInfinity);
        return (attn is null ? Additive(padding!) : padding is null ? Additive(attn) : Additive(attn) + Additive(padding), false);
    }

    /// <summary>The attention weights [N, H, L, S] with ops (for needWeights): <c>softmax(q·kᵀ/√hd + mask)</c>, rows with
    /// no key allowed set to 0, then dropout.</summary>
    private Tensor Weights(Tensor q, Tensor k, Tensor? mask, bool causal, double p)
    {
        var scores = Ops.MatMul(q, Ops.Transpose(k, -2, -1)) * (1 / Math.Sqrt(HeadDim));
        int l = q.Shape[2], s = k.Shape[2];
        Tensor? blocked = null;                                                           // true where no attention
        if (causal) scores = scores + Ops.Triu(Tensor.Full([l, s], double.NegativeInfinity, q.DType), 1);
        else if (mask is { DType: DType.Bool })
        {
            blocked = Ops.LogicalNot(mask);
            scores = Ops.MaskedFill(scores, blocked, double.NegativeInfinity);
        }
        else if (mask is not null) scores = scores + mask;
        Tensor? dead = null;
        if (mask is not null)
        {
            using (Tape.NoGrad()) dead = Ops.Eq(Ops.Max(scores, -1, keepDim: true), double.NegativeInfinity);   // [N, H, L, 1]
            scores = Ops.MaskedFill(scores, dead, 0);
        }
        var weights = Ops.Softmax(scores, -1);
        if (dead is not null) weights = Ops.MaskedFill(weights, dead, 0);
        return Functional.Dropout(weights, p, training: p > 0, _generator);
    }

    /// <inheritdoc/>
    public override string Describe() =>
        $"MultiheadAttention(embedDim: {EmbedDim}, numHeads: {NumHeads}, dropout: {Dropout}, bias: {_outProj.Bias is not null}, batchFirst: {BatchFirst}" +
        (SameEmbedDim ? ")" : $", kdim: {KDim}, vdim: {VDim})");
}
