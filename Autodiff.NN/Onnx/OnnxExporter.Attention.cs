using static Autodiff.NN.OnnxGraph;

namespace Autodiff.NN;

/// <summary>The optional arguments of <c>MultiheadAttention.Forward</c>: masks (graph values), flags.</summary>
internal readonly record struct AttentionArguments(OnnxValue? KeyPaddingMask = null, OnnxValue? AttnMask = null, bool IsCausal = false,
    bool NeedWeights = false, bool AverageAttnWeights = true);

/// <summary>A mask as the attention core applies it: Bool (true where <paramref name="TrueAllows"/> says) or additive.</summary>
internal readonly record struct AttentionMask(string Name, bool IsBool, bool TrueAllows);

// MultiheadAttention (self- and cross-attention, masks, kdim/vdim, weights) and the Transformer layers, composed from
// MatMul/Softmax/LayerNormalization. Lengths are never baked: reshapes copy dims (0) and a causal mask is built from Shape.
internal sealed partial class OnnxExporter
{
    /// <summary>Emits <c>attention.Forward(query, key, value, ...)</c> ([L, N, E] or [N, L, E] with batchFirst) and returns
    /// the output's name and, with NeedWeights, the weights' ([N, L, S], or [N, H, L, S] unaveraged).</summary>
    internal (string Output, string? Weights) EmitAttention(MultiheadAttention attention, string scope, OnnxValue query, OnnxValue key, OnnxValue value,
        AttentionArguments args)
    {
        if (query.Sample.Rank != 3) throw Unsupported(attention, scope, $"got an unbatched query {query.Sample.Shape}; export it with a batch dimension");
        int e = attention.EmbedDim, h = attention.NumHeads, hd = attention.HeadDim;
        var dtype = query.Sample.DType;
        string ToBatchFirst(string x) => attention.BatchFirst ? x : graph.Node("Transpose", scope, [x], Ints("perm", 1, 0, 2));   // [L, N, E] -> [N, L, E]
        string q0 = ToBatchFirst(query.Name);
        string k0 = key.Name == query.Name ? q0 : ToBatchFirst(key.Name);
        string v0 = value.Name == key.Name ? k0 : ToBatchFirst(value.Name);
        string q, k, v;                                                                                 // [N, H, L or S, hd]
        if (attention.InProjWeight is { } packed && query.Name == key.Name && key.Name == value.Name)
        {
            var qkv = graph.Node("MatMul", scope, [q0, graph.Node("Transpose", scope, [State(packed)], Ints("perm", 1, 0))]);
            if (attention.InProjBias is { } bias) qkv = graph.Node("Add", scope, [qkv, State(bias)]);     // [N, L, 3E]
            var split = graph.Node("Transpose", scope, [graph.Node("Reshape", scope, [qkv, graph.Int64Constant(scope + "/qkv_shape", [0, 0, 3, h, hd])])],
                Ints("perm", 2, 0, 3, 1, 4));                                                           // [3, N, H, L, hd]
            string Part(int i) => graph.Node("Gather", scope, [split, graph.Int64Constant(scope + "/index", [i], [])], Int("axis", 0));
            (q, k, v) = (Part(0), Part(1), Part(2));
        }
        else
        {
            var separate = attention.NamedParameters().Where(p => !p.Name.Contains('.')).ToDictionary(p => p.Name, p => p.Parameter);
            string Project(string x, int i)                                                             // x·W_iᵀ + b_i, split into heads
            {
                string weight = attention.InProjWeight is { } w
                    ? graph.Node("Slice", scope, [State(w), graph.Int64Constant(scope + "/start", [i * e]), graph.Int64Constant(scope + "/end", [(i + 1) * e]),
                        graph.Int64Constant(scope + "/axes", [0])])
                    : State(separate[i switch { 0 => "q_proj_weight", 1 => "k_proj_weight", _ => "v_proj_weight" }]);
                var y = graph.Node("MatMul", scope, [x, graph.Node("Transpose", scope, [weight], Ints("perm", 1, 0))]);
                if (attention.InProjBias is { } b)
                    y = graph.Node("Add", scope, [y, graph.Node("Slice", scope, [State(b), graph.Int64Constant(scope + "/start", [i * e]),
                        graph.Int64Constant(scope + "/end", [(i + 1) * e]), graph.Int64Constant(scope + "/axes", [0])])]);
                return graph.Node("Transpose", scope, [graph.Node("Reshape", scope, [y, graph.Int64Constant(scope + "/heads_shape", [0, 0, h, hd])])],
                    Ints("perm", 0, 2, 1, 3));
            }
            (q, k, v) = (Project(q0, 0), Project(k0, 1), Project(v0, 2));
        }

        var masks = new List<AttentionMask>();
        bool causal = false;
        if (args.AttnMask is { } attnMask)
        {
            string m = attnMask.Name;
            if (attnMask.Sample.Rank == 3)                                                              // [N·H, L, S] -> [N, H, L, S]
                m = graph.Node("Reshape", scope, [m, graph.Node("Concat", scope, [graph.Int64Constant(scope + "/mask_heads", [-1, h]),
                    ShapeOf(scope, m, 1, 3)], Int("axis", 0))]);
            masks.Add(new AttentionMask(m, attnMask.Sample.DType == DType.Bool, TrueAllows: false));
        }
        else causal = args.IsCausal;
        if (args.KeyPaddingMask is { } padding)                                                         // [N, S] -> [N, 1, 1, S]
            masks.Add(new AttentionMask(graph.Node("Unsqueeze", scope, [padding.Name, graph.Int64Constant(scope + "/axes", [1, 2])]),
                padding.Sample.DType == DType.Bool, TrueAllows: false));
        var (heads, weights) = EmitAttentionCore(scope, q, k, v, 4, hd, dtype, masks, causal, 1 / Math.Sqrt(hd));

        var merged = graph.Node("Reshape", scope, [graph.Node("Transpose", scope, [heads], Ints("perm", 0, 2, 1, 3)),
            graph.Int64Constant(scope + "/merged_shape", [0, 0, e])]);                                   // [N, L, E]
        var output = EmitLinear(attention.OutProj, ScopeOf(attention.OutProj), merged, 3);
        if (!attention.BatchFirst) output = graph.Node("Transpose", scope, [output], Ints("perm", 1, 0, 2));
        if (!args.NeedWeights) return (output, null);
        return (output, args.AverageAttnWeights ? Reduce("ReduceMean", scope, weights, [1], keepDims: false) : weights);
    }

    /// <summary><c>softmax(q·kᵀ·scale + masks)·v</c> over the last two dims (rank <paramref name="rank"/>), with the causal
    /// mask <c>j ≤ i</c> built for the lengths in the graph, and rows whose every key is masked set to 0 (as our
    /// attention, PyTorch ≥ 2.5's safe softmax). Returns the heads and the weights.</summary>
    internal (string Heads, string Weights) EmitAttentionCore(string scope, string q, string k, string v, int rank, int headDim, DType dtype,
        IReadOnlyList<AttentionMask> masks, bool causal, double scale)
    {
        var perm = Enumerable.Range(0, rank).Select(i => (long)(i == rank - 2 ? rank - 1 : i == rank - 1 ? rank - 2 : i)).ToArray();
        var scores = graph.Node("MatMul", scope, [q, graph.Node("Transpose", scope, [k], Ints("perm", perm))]);
        scores = graph.Node("Mul", scope, [scores, graph.ScalarConstant(scope + "/scale", scale, dtype)]);
        string NegInf() => graph.ScalarConstant(scope + "/neg_inf", double.NegativeInfinity, dtype);
        string Zero() => graph.ScalarConstant(scope + "/zero", 0, dtype);
        if (causal)                                                                                     // -inf above the diagonal, [L, S]
        {
            var size = graph.Node("Concat", scope, [ShapeOf(scope, q, rank - 2, rank - 1), ShapeOf(scope, k, rank - 2, rank - 1)], Int("axis", 0));
            var full = graph.Node("Expand", scope, [NegInf(), size]);
            scores = graph.Node("Add", scope, [scores, graph.Node("Trilu", scope, [full, graph.Int64Constant(scope + "/diagonal", [1], [])], Int("upper", 1))]);
        }
        foreach (var mask in masks)
            scores = !mask.IsBool ? graph.Node("Add", scope, [scores, mask.Name])
                : mask.TrueAllows ? graph.Node("Where", scope, [mask.Name, scores, NegInf()])
                : graph.Node("Where", scope, [mask.Name, NegInf(), scores]);
        if (masks.Count == 0)
        {
            var plain = graph.Node("Softmax", scope, [scores], Int("axis", -1));
            return (graph.Node("MatMul", scope, [plain, v]), plain);
        }
        var dead = graph.Node("Equal", scope, [Reduce("ReduceMax", scope, scores, [-1], keepDims: true), NegInf()]);   // [..., L, 1]
        scores = graph.Node("Where", scope, [dead, Zero(), scores]);
        var weights = graph.Node("Where", scope, [dead, Zero(), graph.Node("Softmax", scope, [scores], Int("axis", -1))]);
        return (graph.Node("MatMul", scope, [weights, v]), weights);
    }

    private (string Name, Tensor Sample) EmitEncoderLayer(TransformerEncoderLayer layer, string x, Tensor sample, AttentionArguments masks = default)
    {
        var parts = layer.NamedChildren().ToDictionary(c => c.Name, c => c.Module);
        string scope = moduleNames[layer];
        (string, Tensor) Run(string child, string input, Tensor s) => Emit(parts[child], input, s);
        (string, Tensor) Residual(string a, string b, Tensor s) => (graph.Node("Add", scope, [a, b]), s);
        string SelfAttention(string input, Tensor s) =>
            EmitAttention(layer.SelfAttn, ScopeOf(layer.SelfAttn), new(input, s), new(input, s), new(input, s), masks with { NeedWeights = false }).Output;
        (string Name, Tensor Sample) FeedForward(string input, Tensor s) => FeedForwardBlock(parts, layer.Activation, scope, input, s);
        if (layer.NormFirst)
        {
            var (n1, s1) = Run("norm1", x, sample);                                                     // x + SA(norm1(x))
            (x, sample) = Residual(x, SelfAttention(n1, s1), sample);
            var (n2, s2) = Run("norm2", x, sample);                                                     // x + FF(norm2(x))
            return Residual(x, FeedForward(n2, s2).Name, sample);
        }
        (x, sample) = Run("norm1", Residual(x, SelfAttention(x, sample), sample).Item1, sample);        // norm1(x + SA(x))
        return Run("norm2", Residual(x, FeedForward(x, sample).Name, sample).Item1, sample);            // norm2(x + FF(x))
    }

    private (string Name, Tensor Sample) FeedForwardBlock(Dictionary<string, Module> parts, string activation, string scope, string input, Tensor s)
    {
        var (hidden, hs) = Emit(parts["linear1"], input, s);
        hidden = activation == "gelu" ? EmitGelu(new GELU(), scope, hidden, hs.DType) : graph.Node("Relu", scope, [hidden]);
        return Emit(parts["linear2"], hidden, hs);
    }

    /// <summary>Emits <c>layer.Forward(tgt, memory, ...)</c>: self-attention with the target's masks, attention over the
    /// memory with the memory's, the feed-forward block; pre- or post-norm.</summary>
    private string EmitDecoderLayer(TransformerDecoderLayer layer, OnnxValue tgt, OnnxValue memory, AttentionArguments selfMasks, AttentionArguments memoryMasks)
    {
        var parts = layer.NamedChildren().ToDictionary(c => c.Name, c => c.Module);
        string scope = moduleNames[layer];
        var (selfAttn, crossAttn) = ((MultiheadAttention)parts["self_attn"], (MultiheadAttention)parts["multihead_attn"]);
        string Norm(string name, string x) => Emit(parts[name], x, tgt.Sample).Name;
        string Add(string a, string b) => graph.Node("Add", scope, [a, b]);
        string SelfAttention(string x) => EmitAttention(selfAttn, ScopeOf(selfAttn), new(x, tgt.Sample), new(x, tgt.Sample), new(x, tgt.Sample), selfMasks).Output;
        string CrossAttention(string x) => EmitAttention(crossAttn, ScopeOf(crossAttn), new(x, tgt.Sample), memory, memory, memoryMasks).Output;
        string FeedForward(string x) => FeedForwardBlock(parts, layer.Activation, scope, x, tgt.Sample).Name;
        var x = tgt.Name;
        if (layer.NormFirst)
        {
            x = Add(x, SelfAttention(Norm("norm1", x)));                                                // x + SA(norm1(x))
            x = Add(x, CrossAttention(Norm("norm2", x)));                                               // x + MHA(norm2(x), memory)
            return Add(x, FeedForward(Norm("norm3", x)));                                               // x + FF(norm3(x))
        }
        x = Norm("norm1", Add(x, SelfAttention(x)));                                                    // norm1(x + SA(x))
        x = Norm("norm2", Add(x, CrossAttention(x)));                                                   // norm2(x + MHA(x, memory))
        return Norm("norm3", Add(x, FeedForward(x)));                                                   // norm3(x + FF(x))
    }
}
