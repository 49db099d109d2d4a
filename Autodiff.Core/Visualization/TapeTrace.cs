namespace Autodiff;

/// <summary>The numbers a page of the tape shows (see <see cref="TapePage"/>), gathered from the engine: the tensors
/// of the recorded ops in recording order with their forward values, and for the backward steps, per op, the gradient
/// it received and the contribution its derivative rules sent to each input, with that input's gradient so far.</summary>
/// <remarks>Nothing here is computed by hand: the values are the tensors the forward pass produced, the contributions
/// are what the recorded rules return (run unrecorded, as a plain <c>Backward</c> runs them, and summed to the input's
/// shape by the engine's <c>SumTo</c>), and the running sums are <c>Ops.Add</c>s. No leaf's <c>Grad</c> changes and no
/// entry is released, so the graph can still be backpropagated afterwards.</remarks>
internal sealed class TapeTrace
{
    /// <summary>Tensors with up to this many elements show every value on the node.</summary>
    public const int SmallNumel = 16;

    /// <summary>At most this many values of a larger tensor are kept, for the values dialog.</summary>
    public const int MaxValues = 4096;

    /// <summary>A tensor's values as the page shows them: all of a small one, the first <see cref="MaxValues"/> of a
    /// large one, with its mean, min and max over every element.</summary>
    internal sealed record Summary(int[] Shape, string DType, int Numel, double[] Values, double Mean, double Min, double Max)
    {
        public bool Truncated => Values.Length < Numel;

        public static Summary Of(Tensor t)
        {
            var all = t.ToDoubleArray();
            double sum = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
            foreach (var v in all)
            {
                sum += v;
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
            if (all.Length == 0) (min, max) = (double.NaN, double.NaN);
            var kept = all.Length <= MaxValues ? all : all[..MaxValues];
            return new Summary(t.Shape.ToArray(), t.DType.ToString(), all.Length, kept, all.Length == 0 ? double.NaN : sum / all.Length, min, max);
        }
    }

    /// <summary>A box on the page: a leaf (a parameter, an input, a constant) or the result of one recorded op.</summary>
    internal sealed class Node
    {
        public required string Id { get; init; }               // the tensor's Id; "<Id>_<n>" for an op that wrote it again in place
        public required Tensor Tensor { get; init; }
        public TapeEntry? Entry { get; init; }                  // null for a leaf
        public int Step { get; init; } = -1;                    // the forward step that computes it; -1 for a leaf
        public string[] Inputs { get; init; } = [];             // node ids of the entry's inputs, in order
        public required Summary Value { get; init; }
    }

    /// <summary>What one input received in a backward step.</summary>
    internal sealed record Contribution(int Input, string Node, Summary Value, Summary Total);

    /// <summary>One backward step: an op whose output received a gradient, and what its rules sent on.</summary>
    /// <param name="Node">The op's node.</param>
    /// <param name="Incoming">The complete gradient of the op's output (the seed, for the root).</param>
    /// <param name="Contributions">Per input that requires grad, what the op's rule sent it.</param>
    /// <param name="Opaque">True for an op recorded with an accumulating closure: it writes its inputs' gradients
    /// itself, so the page cannot show them and the backward steps stop there.</param>
    internal sealed record BackwardStep(string Node, Summary Incoming, List<Contribution> Contributions, bool Opaque);

    public List<Node> Nodes { get; } = [];
    public List<Node> Ops { get; } = [];                        // the op nodes, in recording order (one forward step each)
    public List<BackwardStep> Backward { get; } = [];
    public string? Root { get; private set; }

    /// <summary>Gathers the trace of <paramref name="entries"/> (recording order), backpropagating <paramref name="seed"/>
    /// from <paramref name="root"/> when a root is given.</summary>
    public static TapeTrace Gather(IReadOnlyList<TapeEntry> entries, Tensor? root, Tensor? seed)
    {
        var trace = new TapeTrace();
        var current = new Dictionary<Tensor, Node>(ReferenceEqualityComparer.Instance);    // the node that holds a tensor now
        var ids = new HashSet<string>();
        Node NodeOf(Tensor t)
        {
            if (current.TryGetValue(t, out var node)) return node;
            node = new Node { Id = t.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), Tensor = t, Value = Summary.Of(t) };
            ids.Add(node.Id);
            trace.Nodes.Add(node);
            return current[t] = node;
        }
        // Forward: the inputs' nodes first (leaves appear where first used), then the op's own.
        var outputs = new Node[entries.Count];
        foreach (var (e, i) in entries.Select((e, i) => (e, i)))
        {
            var inputs = e.Inputs.Select(t => NodeOf(t).Id).ToArray();
            string id = e.Output.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            for (int n = 2; ids.Contains(id); n++) id = $"{e.Output.Id}_{n}";
            var node = new Node { Id = id, Tensor = e.Output, Entry = e, Step = i, Inputs = inputs, Value = Summary.Of(e.Output) };
            ids.Add(id);
            trace.Nodes.Add(node);
            trace.Ops.Add(node);
            current[e.Output] = outputs[i] = node;
        }
        if (root is null || seed is null) return trace;
        trace.Root = current[root].Id;

        // Backward: the engine's reverse loop (BackwardPass.Replay) without its buffer reuse, keeping every gradient.
        var grads = new Dictionary<string, Tensor> { [trace.Root] = seed };
        var scratch = new Tensor?[4];
        using (Tape.BackwardScope(createGraph: false))
        {
            for (int i = entries.Count - 1; i >= 0; i--)
            {
                var (e, node) = (entries[i], outputs[i]);
                if (!grads.TryGetValue(node.Id, out var g)) continue;                 // not on the path from the root
                var step = new BackwardStep(node.Id, Summary.Of(g), [], e.AccumulatesItself);
                trace.Backward.Add(step);
                if (step.Opaque) break;
                var results = e.Derive(g, createGraph: false, ref scratch);
                for (int k = 0; k < results.Length; k++)
                {
                    var input = e.Inputs[k];
                    if (results[k] is not Tensor gk || !input.RequiresGrad) continue;
                    var contribution = gk.Shape == input.Shape ? gk : Compute.SumTo(gk, input.Shape);
                    string target = node.Inputs[k];
                    var total = grads.TryGetValue(target, out var before) ? Autodiff.Ops.Add(before, contribution) : contribution;
                    grads[target] = total;
                    step.Contributions.Add(new Contribution(k, target, Summary.Of(contribution), Summary.Of(total)));
                }
            }
        }
        return trace;
    }
}
