using Autodiff.NN.OnnxProto;

namespace Autodiff.NN;

// ONNX's RNN, LSTM and GRU nodes on the recurrent layer ops the RNN/LSTM/GRU modules run, so an imported recurrent
// network trains as fast as a native one and gives the same numbers.
//
// ONNX keeps the gate blocks as [i, o, f, c] (LSTM) and [z, r, h] (GRU); PyTorch and the Autodiff ops as [i, f, g, o] and
// [r, z, n]. W [D, G·H, C], R [D, G·H, H] and B [D, 2·G·H] (W's bias, then R's) are read per direction and their gate
// blocks picked back into Autodiff's order (IndexSelect: a copy whose backward adds the gradient back in place), so the
// initializers stay parameters of the imported module as they are in the file.
internal static partial class OnnxOps
{
    private static readonly HashSet<string> RecurrentAttributes = new(StringComparer.Ordinal)
    {
        "hidden_size", "direction", "layout", "activations", "linear_before_reset", "input_forget",
    };

    /// <summary>Refuses, at import, what the recurrent layer ops do not compute: clip, non-default activations (an RNN may
    /// use Relu, as <c>torch.nn.RNN(nonlinearity='relu')</c> exports), activation parameters, GRU's
    /// <c>linear_before_reset = 0</c>, LSTM's input_forget and peepholes, and any other attribute.</summary>
    private static void CheckRecurrent(NodeProto node)
    {
        foreach (var a in node.Attribute)
            if (!RecurrentAttributes.Contains(a.Name))
                throw Refuse(node, $"has attribute '{a.Name}'{(a.Name == "clip" ? " (cell clipping)" : "")}, which the recurrent layer ops do not compute");
        if (Str(node, "direction", "forward") is not ("forward" or "reverse" or "bidirectional"))
            throw Refuse(node, $"has attribute 'direction' = '{Str(node, "direction", "")}'; forward, reverse or bidirectional are imported");
        if (Int(node, "layout", 0) is not (0 or 1)) throw Refuse(node, $"has attribute 'layout' = {Int(node, "layout", 0)}; 0 or 1 are imported");
        if (node.OpType == "GRU" && Int(node, "linear_before_reset", 0) != 1)
            throw Refuse(node, "has attribute 'linear_before_reset' = 0; only 1 (PyTorch's GRU: r multiplies W_hn·h + b_hn) is imported");
        if (node.OpType == "LSTM" && Int(node, "input_forget", 0) != 0) throw Refuse(node, "has attribute 'input_forget' = 1 (coupled gates), which the LSTM op does not compute");
        if (node.OpType == "LSTM" && node.Input.Count > 7 && node.Input[7].Length > 0) throw Refuse(node, "has peephole weights (input P), which the LSTM op does not compute");
        var activations = Attribute(node, "activations")?.Strings.Select(s => s.ToStringUtf8()).ToArray() ?? [];
        if (activations.Length == 0) return;
        string[] defaults = node.OpType switch { "LSTM" => ["Sigmoid", "Tanh", "Tanh"], "GRU" => ["Sigmoid", "Tanh"], _ => ["Tanh"] };
        int directions = Str(node, "direction", "forward") == "bidirectional" ? 2 : 1;
        bool isDefault = activations.SequenceEqual(Enumerable.Range(0, directions).SelectMany(_ => defaults), StringComparer.OrdinalIgnoreCase);
        bool isRelu = node.OpType == "RNN" && activations.Length == directions && activations.All(a => a.Equals("Relu", StringComparison.OrdinalIgnoreCase));
        if (!isDefault && !isRelu)
            throw Refuse(node, $"has attribute 'activations' = [{string.Join(", ", activations)}]; only the defaults [{string.Join(", ", defaults)}]{(node.OpType == "RNN" ? " or Relu" : "")} per direction are imported");
    }

    /// <summary>Runs an RNN, LSTM or GRU node: <c>Y</c> <c>[T, D, N, H]</c> (layout 1: <c>[N, T, D, H]</c>), <c>Y_h</c>
    /// <c>[D, N, H]</c> (layout 1: <c>[N, D, H]</c>) and, for an LSTM, <c>Y_c</c> like <c>Y_h</c>.</summary>
    private static Tensor[] RunRecurrent(NodeProto node, Func<int, Tensor> input, Func<int, Tensor?> optional)
    {
        string op = node.OpType;
        int gates = op switch { "LSTM" => 4, "GRU" => 3, _ => 1 };
        int[] blocks = op switch { "LSTM" => [0, 2, 3, 1], "GRU" => [1, 0, 2], _ => [0] };   // Autodiff's block k is ONNX's blocks[k]
        string direction = Str(node, "direction", "forward");
        bool batchFirst = Int(node, "layout", 0) == 1;
        int directions = direction == "bidirectional" ? 2 : 1;

        var x = batchFirst ? Ops.Transpose(input(0), 0, 1) : input(0);                      // [T, N, C]
        Tensor w = input(1), r = input(2);
        Tensor? b = optional(3), lengthsInput = optional(4), initialH = optional(5), initialC = op == "LSTM" ? optional(6) : null;
        int hidden = (int)Int(node, "hidden_size", r.Rank == 3 ? r.Shape[2] : 0);
        void Expect(string what, Tensor? t, params int[] shape)
        {
            if (t is not null && !t.Shape.SequenceEqual(shape))
                throw new ArgumentException($"Onnx.Import: node '{node.Name}' ({op}) input {what} has shape {t.Shape}, expected {Shape.Format(shape)} " +
                    $"(X {input(0).Shape}, hidden_size {hidden}, {directions} direction{(directions == 1 ? "" : "s")}).");
        }
        if (x.Rank != 3) throw new ArgumentException($"Onnx.Import: node '{node.Name}' ({op}) input X has shape {input(0).Shape}; expected rank 3.");
        int steps = x.Shape[0], rows = x.Shape[1];
        Expect("W", w, directions, gates * hidden, x.Shape[2]);
        Expect("R", r, directions, gates * hidden, hidden);
        Expect("B", b, directions, 2 * gates * hidden);
        if (batchFirst) (initialH, initialC) = (initialH is null ? null : Ops.Transpose(initialH, 0, 1), initialC is null ? null : Ops.Transpose(initialC, 0, 1));
        Expect("initial_h", initialH, directions, rows, hidden);
        Expect("initial_c", initialC, directions, rows, hidden);
        var lengths = lengthsInput?.ToInt64Array().Select(l => checked((int)l)).ToArray();
        if (lengths is not null && (lengths.Length != rows || lengths.Any(l => l < 1 || l > steps)))
            throw new ArgumentException($"Onnx.Import: node '{node.Name}' ({op}) has sequence_lens [{string.Join(", ", lengths)}]; expected {rows} lengths from 1 to {steps}.");

        var order = blocks.SelectMany(block => Enumerable.Range(block * hidden, hidden)).ToArray();
        Tensor Gates(Tensor t) => Ops.IndexSelect(t, 0, order);                             // ONNX's gate order -> Autodiff's
        bool relu = Attribute(node, "activations")?.Strings.FirstOrDefault()?.ToStringUtf8().Equals("Relu", StringComparison.OrdinalIgnoreCase) == true;
        var (ys, hs, cs) = (new Tensor[directions], new Tensor[directions], new Tensor[directions]);
        for (int d = 0; d < directions; d++)
        {
            bool reverse = direction == "reverse" || d == 1;
            Tensor wd = Gates(Ops.Select(w, 0, d)), rd = Gates(Ops.Select(r, 0, d));
            Tensor? wb = null, rb = null;
            if (b is not null)
            {
                var bd = Ops.Select(b, 0, d);
                (wb, rb) = (Gates(Ops.Slice(bd, 0, 0, gates * hidden)), Gates(Ops.Slice(bd, 0, gates * hidden, 2 * gates * hidden)));
            }
            var h0 = initialH is null ? Tensor.Zeros([rows, hidden], x.DType) : Ops.Select(initialH, 0, d);
            Tensor z;
            switch (op)
            {
                case "LSTM":
                    var c0 = initialC is null ? Tensor.Zeros([rows, hidden], x.DType) : Ops.Select(initialC, 0, d);
                    z = Ops.LstmLayer(Ops.Linear(x, wd, wb is null ? null : wb + rb!), rd, h0, c0, lengths, reverse);   // as the LSTM module
                    break;
                case "GRU":
                    z = Ops.GruLayer(Ops.Linear(x, wd, wb), rd, rb, h0, lengths, reverse);                             // as the GRU module
                    break;
                default:
                    z = Ops.RnnLayer(Ops.Linear(x, wd, wb is null ? null : wb + rb!), rd, h0, lengths, reverse, relu);  // as the RNN module
                    break;
            }
            ys[d] = Ops.Slice(z, 0, 0, steps);                                                  // [T, N, H]
            hs[d] = Ops.Select(z, 0, steps);                                                    // [N, H]
            if (op == "LSTM") cs[d] = Ops.Select(z, 0, steps + 1);
        }
        var y = Ops.Stack(ys, 1);                                                               // [T, D, N, H]
        var yh = Ops.Stack(hs, 0);                                                              // [D, N, H]
        if (batchFirst) (y, yh) = (Ops.Permute(y, 2, 0, 1, 3), Ops.Transpose(yh, 0, 1));        // [N, T, D, H], [N, D, H]
        if (op != "LSTM") return [y, yh];
        var yc = Ops.Stack(cs, 0);
        return [y, yh, batchFirst ? Ops.Transpose(yc, 0, 1) : yc];
    }
}
