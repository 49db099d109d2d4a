using static Autodiff.NN.OnnxGraph;

namespace Autodiff.NN;

// RNN, LSTM and GRU as ONNX's own RNN/LSTM/GRU ops, one node per layer.
internal sealed partial class OnnxExporter
{
    private string EmitRecurrent(RNNBase rnn, string scope, string x, Tensor sample)
    {
        if (sample.Rank != 3) throw Unsupported(rnn, scope, $"got an unbatched input {sample.Shape}; export it with a batch dimension");
        // ONNX's gate blocks are [i, o, f, c] (LSTM) and [z, r, h] (GRU); PyTorch's are [i, f, g, o] and [r, z, n].
        int[] blocks = rnn switch { LSTM => [0, 3, 1, 2], GRU => [1, 0, 2], _ => [0] };
        string op = rnn switch { LSTM => "LSTM", GRU => "GRU", _ => "RNN" };
        int h = rnn.HiddenSize, directions = rnn.Bidirectional ? 2 : 1;
        if (rnn.BatchFirst) x = graph.Node("Transpose", scope, [x], Ints("perm", 1, 0, 2));       // [N, T, C] -> [T, N, C]
        for (int layer = 0; layer < rnn.NumLayers; layer++)
        {
            var w = new List<string>();
            var r = new List<string>();
            var b = new List<string>();
            for (int d = 0; d < directions; d++)
            {
                // Gather with a [1, G·H] row permutation both reorders the gates and adds ONNX's direction axis, so the
                // initializers stay the parameters as they are (named by the state dict).
                w.Add(graph.Node("Gather", scope, [State(rnn.WeightIh(layer, d == 1)), RowOrder(scope, blocks, h, 0)], Int("axis", 0)));
                r.Add(graph.Node("Gather", scope, [State(rnn.WeightHh(layer, d == 1)), RowOrder(scope, blocks, h, 0)], Int("axis", 0)));
                if (rnn.Bias)
                {
                    var both = graph.Node("Concat", scope, [State(rnn.BiasIh(layer, d == 1)!), State(rnn.BiasHh(layer, d == 1)!)], Int("axis", 0));
                    b.Add(graph.Node("Gather", scope, [both, RowOrder(scope, blocks, h, blocks.Length * h)], Int("axis", 0)));
                }
            }
            string Joined(List<string> parts) => parts.Count == 1 ? parts[0] : graph.Node("Concat", scope, [.. parts], Int("axis", 0));
            string[] inputs = rnn.Bias ? [x, Joined(w), Joined(r), Joined(b)] : [x, Joined(w), Joined(r)];
            var attributes = new List<Autodiff.NN.OnnxProto.AttributeProto>
            {
                Int("hidden_size", h), String("direction", rnn.Bidirectional ? "bidirectional" : "forward"),
            };
            if (rnn is GRU) attributes.Add(Int("linear_before_reset", 1));                     // PyTorch applies r after W_hn h + b_hn
            if (rnn is RNN plain) attributes.Add(Strings("activations", [.. Enumerable.Repeat(plain.Nonlinearity == "relu" ? "Relu" : "Tanh", directions)]));
            var y = graph.Node(op, scope, inputs, [.. attributes]);                             // [T, D, N, H]
            y = graph.Node("Transpose", scope, [y], Ints("perm", 0, 2, 1, 3));                  // [T, N, D, H]
            x = graph.Node("Reshape", scope, [y, graph.Int64Constant(scope + "/shape", [0, 0, -1])]);   // [T, N, D·H]
        }
        return rnn.BatchFirst ? graph.Node("Transpose", scope, [x], Ints("perm", 1, 0, 2)) : x;
    }

    /// <summary>A [1, G·H] Int64 row index taking PyTorch's gate blocks in ONNX's order, starting at row <paramref name="offset"/>
    /// (twice over, for the input and hidden biases, when the offset is G·H).</summary>
    private string RowOrder(string scope, int[] blocks, int h, int offset)
    {
        var rows = new List<long>();
        foreach (int start in offset == 0 ? [0] : new[] { 0, offset })
            foreach (int block in blocks)
                for (int i = 0; i < h; i++) rows.Add(start + block * h + i);
        return graph.Int64Constant(scope + "/gate_order", [.. rows], [1, rows.Count]);
    }
}
