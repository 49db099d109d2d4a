using static Autodiff.NN.OnnxGraph;

namespace Autodiff.NN;

// MultiheadAttention (self-attention, no mask) and Transformer encoder layers, composed from MatMul/Softmax/LayerNormalization.
internal sealed partial class OnnxExporter
{
    private string EmitSelfAttention(MultiheadAttention attention, string scope, string x, Tensor sample)
    {
        if (sample.Rank != 3) throw Unsupported(attention, scope, $"got an unbatched input {sample.Shape}; export it with a batch dimension");
        if (attention.InProjWeight is not { } inProj) throw Unsupported(attention, scope, "has separate kdim/vdim projections");
        int e = attention.EmbedDim, h = attention.NumHeads, hd = attention.HeadDim;
        if (!attention.BatchFirst) x = graph.Node("Transpose", scope, [x], Ints("perm", 1, 0, 2));          // [L, N, E] -> [N, L, E]
        var qkv = graph.Node("MatMul", scope, [x, graph.Node("Transpose", scope, [State(inProj)], Ints("perm", 1, 0))]);
        if (attention.InProjBias is { } bias) qkv = graph.Node("Add", scope, [qkv, State(bias)]);     // [N, L, 3E]
        var split = graph.Node("Transpose", scope, [graph.Node("Reshape", scope, [qkv, graph.Int64Constant(scope + "/qkv_shape", [0, 0, 3, h, hd])])],
            Ints("perm", 2, 0, 3, 1, 4));                                                               // [3, N, H, L, hd]
        string Part(int i) => graph.Node("Gather", scope, [split, graph.Int64Constant(scope + "/index", [i], [])], Int("axis", 0));
        var (q, k, v) = (Part(0), Part(1), Part(2));                                                    // [N, H, L, hd]
        var scores = graph.Node("MatMul", scope, [q, graph.Node("Transpose", scope, [k], Ints("perm", 0, 1, 3, 2))]);
        scores = graph.Node("Mul", scope, [scores, graph.ScalarConstant(scope + "/scale", 1 / Math.Sqrt(hd), sample.DType)]);
        var heads = graph.Node("MatMul", scope, [graph.Node("Softmax", scope, [scores], Int("axis", -1)), v]);
        var merged = graph.Node("Reshape", scope, [graph.Node("Transpose", scope, [heads], Ints("perm", 0, 2, 1, 3)),
            graph.Int64Constant(scope + "/merged_shape", [0, 0, e])]);                                   // [N, L, E]
        var y = EmitLinear(attention.OutProj, scope + ".out_proj", merged, 3);
        return attention.BatchFirst ? y : graph.Node("Transpose", scope, [y], Ints("perm", 1, 0, 2));
    }

    private (string Name, Tensor Sample) EmitEncoderLayer(TransformerEncoderLayer layer, string x, Tensor sample)
    {
        var parts = layer.NamedChildren().ToDictionary(c => c.Name, c => c.Module);
        string scope = moduleNames[layer];
        (string, Tensor) Run(string child, string input, Tensor s) => Emit(parts[child], input, s);
        (string, Tensor) Residual(string a, string b, Tensor s) => (graph.Node("Add", scope, [a, b]), s);
        (string Name, Tensor Sample) FeedForward(string input, Tensor s)
        {
            var (hidden, hs) = Run("linear1", input, s);
            hidden = layer.Activation == "gelu" ? EmitGelu(new GELU(), scope, hidden, hs.DType) : graph.Node("Relu", scope, [hidden]);
            return Run("linear2", hidden, hs);
        }
        if (layer.NormFirst)
        {
            var (n1, s1) = Run("norm1", x, sample);                                                     // x + SA(norm1(x))
            (x, sample) = Residual(x, Run("self_attn", n1, s1).Item1, sample);
            var (n2, s2) = Run("norm2", x, sample);                                                     // x + FF(norm2(x))
            return Residual(x, FeedForward(n2, s2).Name, sample);
        }
        (x, sample) = Run("norm1", Residual(x, Run("self_attn", x, sample).Item1, sample).Item1, sample);    // norm1(x + SA(x))
        return Run("norm2", Residual(x, FeedForward(x, sample).Name, sample).Item1, sample);            // norm2(x + FF(x))
    }
}
